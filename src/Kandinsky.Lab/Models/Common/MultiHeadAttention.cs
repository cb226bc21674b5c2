using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Common;

/// <summary>The head split / merge around scaled dot-product attention shared by the transformer encoders.</summary>
public static class MultiHeadAttention
{
    /// <summary>
    /// q [B, Lq, H·D], k, v [B, Lk, H·D] → softmax(scale · q kᵀ + mask) v merged back to [B, Lq, H·D].
    /// <paramref name="additiveMask"/> broadcasts to [B, H, Lq, Lk].
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, int heads, Tensor? additiveMask = null, float? scale = null)
    {
        int b = q.Size(0), lq = q.Size(1), width = q.Size(2);
        if (width % heads != 0)
            throw new ArgumentException($"Attention: width {width} is not divisible by {heads} heads.");
        using var qh = SplitHeads(q, heads);   // [B, H, Lq, D]
        using var kh = SplitHeads(k, heads);   // [B, H, Lk, D]
        using var vh = SplitHeads(v, heads);   // [B, H, Lk, D]
        using var o = F.ScaledDotProductAttention(qh, kh, vh, additiveMask, isCausal: false, scale: scale);
        using var merged = o.Permute(0, 2, 1, 3);   // [B, Lq, H, D]
        return merged.Reshape(b, lq, width);
    }

    /// <summary>[B, L, H·D] → [B, H, L, D] (contiguous).</summary>
    static Tensor SplitHeads(Tensor x, int heads)
    {
        int b = x.Size(0), l = x.Size(1), d = x.Size(2) / heads;
        using var r = x.Reshape(b, l, heads, d);
        using var p = r.Permute(0, 2, 1, 3);
        return p.Contiguous();
    }
}
