using Kandinsky.Lab.Tensors.Kernels;

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
        using var profile = OpProfile.Enter(OpKind.Norm);
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
                var (mean, rstd) = RowKernels.Moments(xs, d, eps);
                RowKernels.Normalize(xs, ys, d, (float)mean, (float)rstd, (float*)wp, (float*)bp);
            }
        });
        return y;
    }

    /// <summary>
    /// F.group_norm: x [N, C, *] split into <paramref name="numGroups"/> groups of C / numGroups channels, each
    /// normalized over its channels and positions (biased variance), then scaled and shifted per channel by
    /// weight/bias [C] (F32/F16/BF16) or null. As in torch, each channel is computed as x·a + b with
    /// a = rstd·weight and b = bias − mean·a.
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int numGroups, Tensor? weight, Tensor? bias, float eps)
    {
        using var profile = OpProfile.Enter(OpKind.Norm);
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
        ForRows(groupSize == 0 ? 0 : (long)n * numGroups, groupSize, (g0, g1) =>
        {
            for (long g = g0; g < g1; g++)
            {
                float* xs = (float*)src + g * groupSize, ys = (float*)dst + g * groupSize;
                var (mean, rstd) = RowKernels.Moments(xs, groupSize, eps);
                int firstChannel = (int)(g % numGroups) * perGroup;
                for (int k = 0; k < perGroup; k++)
                {
                    int channel = firstChannel + k;
                    double scale = rstd * (wp == 0 ? 1f : ((float*)wp)[channel]);
                    double shift = (bp == 0 ? 0f : ((float*)bp)[channel]) - mean * scale;
                    RowKernels.ScaleShift(xs + k * spatial, ys + k * spatial, spatial, (float)scale, (float)shift);
                }
            }
        });
        return y;
    }
}
