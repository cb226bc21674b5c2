namespace Kandinsky.Lab.Tensors;

/// <summary>Normalization layers (F.layer_norm, F.group_norm); statistics are accumulated in double.</summary>
public static unsafe partial class F
{
    /// <summary>
    /// F.layer_norm over the last dimension: (x − mean) / √(var + eps) · weight + bias, with the biased
    /// variance. weight and bias are [D] (F32/F16/BF16) or null.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        const string op = "F.LayerNorm";
        if (x.Rank < 1) throw Tensor.ShapeError(op, $"input {x.ShapeString} needs at least one dimension.");
        int d = x.Size(-1);
        using var w = VectorParameter(weight, d, op, "weight", x);
        using var b = VectorParameter(bias, d, op, "bias", x);
        using var c = ContiguousF32(x);
        var y = Tensor.Empty(x.ShapeArray());
        long rows = d == 0 ? 0 : x.Count / d;
        nint src = (nint)c.Data, dst = (nint)y.Data;
        nint wp = w == null ? 0 : (nint)w.Data, bp = b == null ? 0 : (nint)b.Data;
        ForRows(rows, d, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xs = (float*)src + r * d, ys = (float*)dst + r * d;
                var (mean, rstd) = Moments(xs, d, eps);
                for (int i = 0; i < d; i++)
                {
                    float v = (float)((xs[i] - mean) * rstd);
                    if (wp != 0) v *= ((float*)wp)[i];
                    if (bp != 0) v += ((float*)bp)[i];
                    ys[i] = v;
                }
            }
        });
        return y;
    }

    /// <summary>
    /// F.group_norm: x [N, C, *] split into <paramref name="numGroups"/> groups of C / numGroups channels, each
    /// normalized over its channels and spatial positions, then scaled and shifted per channel by weight/bias [C].
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int numGroups, Tensor? weight, Tensor? bias, float eps)
    {
        const string op = "F.GroupNorm";
        if (x.Rank < 2) throw Tensor.ShapeError(op, $"input {x.ShapeString} must be [N, C, *].");
        int n = x.Size(0), ch = x.Size(1);
        if (numGroups <= 0 || ch % numGroups != 0)
            throw Tensor.ShapeError(op, $"{ch} channels of input {x.ShapeString} cannot be split into {numGroups} groups.");
        using var w = VectorParameter(weight, ch, op, "weight", x);
        using var b = VectorParameter(bias, ch, op, "bias", x);
        using var c = ContiguousF32(x);
        var y = Tensor.Empty(x.ShapeArray());
        long spatial = ch == 0 || n == 0 ? 0 : x.Count / n / ch;
        int perGroup = ch / numGroups;
        long groupSize = perGroup * spatial;
        nint src = (nint)c.Data, dst = (nint)y.Data;
        nint wp = w == null ? 0 : (nint)w.Data, bp = b == null ? 0 : (nint)b.Data;
        ForRows((long)n * numGroups, groupSize, (g0, g1) =>
        {
            for (long g = g0; g < g1; g++)
            {
                float* xs = (float*)src + g * groupSize, ys = (float*)dst + g * groupSize;
                var (mean, rstd) = Moments(xs, groupSize, eps);
                int firstChannel = (int)(g % numGroups) * perGroup;
                for (int k = 0; k < perGroup; k++)
                {
                    int channel = firstChannel + k;
                    float scale = wp == 0 ? 1f : ((float*)wp)[channel];
                    float shift = bp == 0 ? 0f : ((float*)bp)[channel];
                    for (long i = k * spatial; i < (k + 1) * spatial; i++)
                        ys[i] = (float)((xs[i] - mean) * rstd) * scale + shift;
                }
            }
        });
        return y;
    }

    /// <summary>Mean and 1/√(biased var + eps) of a contiguous run, two passes in double.</summary>
    static (double Mean, double Rstd) Moments(float* xs, long n, float eps)
    {
        double s = 0;
        for (long i = 0; i < n; i++) s += xs[i];
        double mean = s / n, ss = 0;
        for (long i = 0; i < n; i++)
        {
            double dv = xs[i] - mean;
            ss += dv * dv;
        }
        return (mean, 1 / Math.Sqrt(ss / n + eps));
    }
}
