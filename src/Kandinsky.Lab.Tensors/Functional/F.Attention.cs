namespace Kandinsky.Lab.Tensors;

public static unsafe partial class F
{
    /// <summary>
    /// torch.nn.functional.scaled_dot_product_attention: softmax(scale·Q·Kᵀ + mask)·V.
    /// query [B, H, Lq, D], key [B, H, Lk, D], value [B, H, Lk, Dv]; <paramref name="attnMask"/> is an additive
    /// float mask broadcastable to [B, H, Lq, Lk] (use <see cref="MaskFromBool"/> for a keep/drop mask);
    /// <paramref name="isCausal"/> hides keys after the query's position; scale defaults to D^-0.5.
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, bool isCausal = false, float? scale = null)
    {
        query.RequireF32("F.ScaledDotProductAttention");
        key.RequireF32("F.ScaledDotProductAttention");
        value.RequireF32("F.ScaledDotProductAttention");
        if (query.Rank != 4 || key.Rank != 4 || value.Rank != 4 || query.Size(0) != key.Size(0) || query.Size(1) != key.Size(1)
            || query.Size(3) != key.Size(3) || key.Size(2) != value.Size(2) || value.Size(0) != key.Size(0) || value.Size(1) != key.Size(1))
            throw Tensor.ShapeError("F.ScaledDotProductAttention", $"query {query.ShapeString}, key {key.ShapeString} and value {value.ShapeString} do not match (expected [B, H, Lq, D], [B, H, Lk, D], [B, H, Lk, Dv]).");
        int bsz = query.Size(0), heads = query.Size(1), lq = query.Size(2), d = query.Size(3), lk = key.Size(2), dv = value.Size(3);
        float s = scale ?? 1f / MathF.Sqrt(d);
        using var mask = attnMask?.Expand(bsz, heads, lq, lk);
        var y = Tensor.Empty(bsz, heads, lq, dv);
        var scores = new double[lk];
        for (int b = 0; b < bsz; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < lq; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < lk; j++)
                    {
                        double acc = 0;
                        for (int t = 0; t < d; t++) acc += query[b, h, i, t] * key[b, h, j, t];
                        acc = (float)(acc * s);
                        if (mask != null) acc += mask[b, h, i, j];
                        if (isCausal && j > i) acc = double.NegativeInfinity;
                        scores[j] = acc;
                        max = Math.Max(max, acc);
                    }
                    double sum = 0;
                    for (int j = 0; j < lk; j++) { scores[j] = double.IsNegativeInfinity(scores[j]) ? 0 : Math.Exp(scores[j] - max); sum += scores[j]; }
                    for (int t = 0; t < dv; t++)
                    {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) acc += scores[j] * value[b, h, j, t];
                        y[b, h, i, t] = (float)(acc / sum);
                    }
                }
        return y;
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
