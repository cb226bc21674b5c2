namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Naive attention in double precision: the oracle the fused <see cref="AttentionKernel"/> is tested against.</summary>
internal static class AttentionReference
{
    public static Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? attnMask, bool isCausal, float? scale)
    {
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
                        for (int t = 0; t < d; t++) acc += (double)query[b, h, i, t] * key[b, h, j, t];
                        acc *= s;
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
                        y[b, h, i, t] = (float)(acc / sum); // no visible key: 0 / 0 = NaN, as torch
                    }
                }
        return y;
    }
}
