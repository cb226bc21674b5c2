using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

public class NormalizationOpsTests
{
    static double[] LayerNormOracle(float[] x, int d, float[]? w, float[]? b, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < (d == 0 ? 0 : x.Length / d); r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < d; i++) m += x[r * d + i];
            m /= d;
            for (int i = 0; i < d; i++) v += (x[r * d + i] - m) * (x[r * d + i] - m);
            double rstd = 1 / Math.Sqrt(v / d + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - m) * rstd * (w?[i] ?? 1) + (b?[i] ?? 0);
        }
        return y;
    }

    static double[] GroupNormOracle(float[] x, int[] shape, int groups, float[]? w, float[]? b, double eps)
    {
        int n = shape[0], c = shape[1];
        long spatial = ShapeUtil.Count(shape) / Math.Max(1, n * c);
        int per = c / groups;
        var y = new double[x.Length];
        for (int s = 0; s < n; s++)
            for (int g = 0; g < groups; g++)
            {
                long start = ((long)s * c + g * per) * spatial, count = per * spatial;
                double m = 0, v = 0;
                for (long i = 0; i < count; i++) m += x[start + i];
                m /= count;
                for (long i = 0; i < count; i++) v += (x[start + i] - m) * (x[start + i] - m);
                double rstd = 1 / Math.Sqrt(v / count + eps);
                for (long i = 0; i < count; i++)
                {
                    int ch = g * per + (int)(i / spatial);
                    y[start + i] = (x[start + i] - m) * rstd * (w?[ch] ?? 1) + (b?[ch] ?? 0);
                }
            }
        return y;
    }

    [Fact]
    public void LayerNormMatchesOracleForEveryWidth()
    {
        var rng = new Random(21);
        for (int d = 1; d <= 70; d++)
        {
            using var x = Oracle.Random(rng, [3, d], 3f);
            using var w = Oracle.Random(rng, [d]);
            using var b = Oracle.Random(rng, [d]);
            var xd = x.ToArray();
            using var full = F.LayerNorm(x, w, b, 1e-5f);
            Oracle.AssertClose(LayerNormOracle(xd, d, w.ToArray(), b.ToArray(), 1e-5), full, 1e-5, 1e-5, $"LayerNorm d={d}");
            using var bare = F.LayerNorm(x, null, null, 1e-6f);
            Oracle.AssertClose(LayerNormOracle(xd, d, null, null, 1e-6), bare, 1e-5, 1e-5, $"LayerNorm no affine d={d}");
        }
    }

    [Fact]
    public void LayerNormReadsViewsAndHalfPrecisionParameters()
    {
        var rng = new Random(22);
        using var x0 = Oracle.Random(rng, [2, 5, 48], 4f);
        using var x = Oracle.AsPermutedView(x0);                 // non-contiguous [2, 5, 48]
        using var w = Oracle.Random(rng, [48]);
        using var b = Oracle.Random(rng, [48]);
        using var w16 = w.ToFloat16();
        using var wf = w16.ToFloat32();                          // the values the F16 weight actually holds
        using var y = F.LayerNorm(x, w16, b, 1e-5f);
        Oracle.AssertClose(LayerNormOracle(x.ToArray(), 48, wf.ToArray(), b.ToArray(), 1e-5), y, 1e-5, 1e-5, "LayerNorm F16 weight on view");
    }

    public static TheoryData<int[], int> GroupCases => new()
    {
        { [2, 6, 5, 7], 1 }, { [2, 6, 5, 7], 2 }, { [2, 6, 5, 7], 3 }, { [2, 6, 5, 7], 6 }, { [1, 32, 8, 8], 32 },
        { [2, 8, 10], 4 }, { [3, 4], 2 }, { [1, 64, 3, 3], 32 }, { [2, 4, 1, 13], 2 },
    };

    [Theory]
    [MemberData(nameof(GroupCases))]
    public void GroupNormMatchesOracle(int[] shape, int groups)
    {
        var rng = new Random(shape.Sum() * 31 + groups);
        using var x0 = Oracle.Random(rng, shape, 3f);
        using var shifted = F.Add(x0, 5f);                       // a nonzero mean per group
        using var view = Oracle.AsPermutedView(shifted);
        int c = shape[1];
        using var w = Oracle.Random(rng, [c]);
        using var b = Oracle.Random(rng, [c]);
        foreach (var x in new[] { shifted, view })
        {
            using var y = F.GroupNorm(x, groups, w, b, 1e-6f);
            Oracle.AssertShape(shape, y);
            Oracle.AssertClose(GroupNormOracle(x.ToArray(), shape, groups, w.ToArray(), b.ToArray(), 1e-6), y, 1e-5, 1e-5, $"GroupNorm {x.ShapeString} / {groups}");
            using var bare = F.GroupNorm(x, groups, null, null, 1e-5f);
            Oracle.AssertClose(GroupNormOracle(x.ToArray(), shape, groups, null, null, 1e-5), bare, 1e-5, 1e-5, "GroupNorm no affine");
        }
    }

    [Fact]
    public void GroupNormConvertsBFloat16Parameters()
    {
        var rng = new Random(23);
        using var x = Oracle.Random(rng, [1, 4, 6, 6]);
        var wv = new[] { 0.5f, -1.25f, 2f, 0.75f };                  // exactly representable in bfloat16
        var bits = wv.Select(BFloat16.FromSingle).ToArray();
        using var w16 = Tensor.Empty(DType.BF16, 4);
        unsafe
        {
            var p = (ushort*)w16.RawPointer;
            for (int i = 0; i < 4; i++) p[i] = bits[i];
        }
        using var y = F.GroupNorm(x, 2, w16, null, 1e-5f);
        Oracle.AssertClose(GroupNormOracle(x.ToArray(), [1, 4, 6, 6], 2, wv, null, 1e-5), y, 1e-5, 1e-5, "GroupNorm BF16 weight");
    }

    [Fact]
    public void BadArgumentsNameTheOpAndShapes()
    {
        using var x = Tensor.Zeros(2, 6, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => F.GroupNorm(x, 4, null, null, 1e-5f));
        Assert.StartsWith("F.GroupNorm", e.Message);
        Assert.Contains("[2, 6, 4, 4]", e.Message);
        using var w5 = Tensor.Ones(5);
        var we = Assert.Throws<ArgumentException>(() => F.GroupNorm(x, 3, w5, null, 1e-5f));
        Assert.StartsWith("F.GroupNorm", we.Message);
        Assert.Contains("[5]", we.Message);
        Assert.Contains("[2, 6, 4, 4]", we.Message);
        using var v = Tensor.Zeros(6);
        Assert.StartsWith("F.GroupNorm", Assert.Throws<ArgumentException>(() => F.GroupNorm(v, 3, null, null, 1e-5f)).Message);
        var le = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, w5, null, 1e-5f));
        Assert.StartsWith("F.LayerNorm", le.Message);
        Assert.Contains("[5]", le.Message);
        Assert.Contains("[2, 6, 4, 4]", le.Message);
    }
}
