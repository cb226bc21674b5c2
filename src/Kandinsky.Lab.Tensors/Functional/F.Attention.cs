using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

public static partial class F
{
    /// <summary>
    /// torch.nn.functional.scaled_dot_product_attention: softmax(scale·Q·Kᵀ + mask)·V, fused (flash-attention
    /// style online softmax; memory linear in sequence length).
    /// query [B, H, Lq, D], key [B, H, Lk, D], value [B, H, Lk, Dv], any strides (a permuted [B, S, H, D] view is
    /// read in place); <paramref name="attnMask"/> is an additive float32 mask broadcastable to [B, H, Lq, Lk]
    /// (use <see cref="MaskFromBool"/> for a keep/drop mask); <paramref name="isCausal"/> hides keys after the
    /// query's position (top-left aligned, as torch); scale defaults to D^-0.5.
    /// A query row with no visible key (all −∞, or Lk = 0) gives NaN, as torch's softmax does.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match or the mask does not broadcast.</exception>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, bool isCausal = false, float? scale = null)
        => ScaledDotProductAttention(query, key, value, attnMask, isCausal, scale, MicroKernel.Best);

    internal static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask, bool isCausal, float? scale, MicroKernel kernel)
    {
        using var profile = OpProfile.Enter(OpKind.Attention);
        using var mask = ValidateAttention(query, key, value, attnMask, out float s, scale);
        return AttentionKernel.Forward(new AttentionOperands(query, key, value, mask, isCausal, s), kernel);
    }

    /// <summary>Checks shapes and dtypes; returns the mask expanded to [B, H, Lq, Lk] (a view to dispose) and the scale.</summary>
    internal static Tensor? ValidateAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask, out float scale, float? requestedScale)
    {
        const string op = "F.ScaledDotProductAttention";
        query.RequireF32(op);
        key.RequireF32(op);
        value.RequireF32(op);
        if (query.Rank != 4 || key.Rank != 4 || value.Rank != 4 || query.Size(0) != key.Size(0) || query.Size(1) != key.Size(1)
            || query.Size(3) != key.Size(3) || key.Size(2) != value.Size(2) || value.Size(0) != key.Size(0) || value.Size(1) != key.Size(1))
            throw Tensor.ShapeError(op, $"query {query.ShapeString}, key {key.ShapeString} and value {value.ShapeString} do not match (expected [B, H, Lq, D], [B, H, Lk, D], [B, H, Lk, Dv]).");
        int bsz = query.Size(0), heads = query.Size(1), lq = query.Size(2), lk = key.Size(2);
        scale = requestedScale ?? 1f / MathF.Sqrt(query.Size(3));
        if (attnMask == null) return null;
        attnMask.RequireF32(op);
        try
        {
            if (attnMask.Rank > 4) throw new ArgumentException("rank above 4");
            return attnMask.Expand(bsz, heads, lq, lk);
        }
        catch (ArgumentException)
        {
            throw Tensor.ShapeError(op, $"mask {attnMask.ShapeString} does not broadcast to [B, H, Lq, Lk] = [{bsz}, {heads}, {lq}, {lk}] (query {query.ShapeString}, key {key.ShapeString}).");
        }
    }

    /// <summary>An additive mask from a keep mask (nonzero = attend → 0, zero = hidden → -∞), same shape.</summary>
    public static Tensor MaskFromBool(Tensor keep)
    {
        using var k = keep.ToFloat32();
        var m = Tensor.Empty(keep.ShapeArray());
        var src = k.AsSpan();
        var dst = m.AsSpan();
        for (int i = 0; i < src.Length; i++) dst[i] = src[i] != 0 ? 0f : float.NegativeInfinity;
        return m;
    }
}
