using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

public class ReductionOpsTests
{
    /// <summary>Groups the elements of <paramref name="x"/> by their index with the reduced dimensions removed (row-major order of the rest).</summary>
    static List<double>[] Groups(Tensor x, int[] dims)
    {
        var shape = x.ShapeArray();
        var reduced = dims.Length == 0 ? Enumerable.Range(0, shape.Length).ToArray() : dims.Select(d => d < 0 ? d + shape.Length : d).ToArray();
        var keptShape = Enumerable.Range(0, shape.Length).Where(d => !reduced.Contains(d)).Select(d => shape[d]).ToArray();
        var groups = Enumerable.Range(0, (int)ShapeUtil.Count(keptShape)).Select(_ => new List<double>()).ToArray();
        var data = x.ToArray();
        for (long i = 0; i < data.Length; i++)
        {
            var idx = Oracle.Unravel(i, shape);
            var kept = Enumerable.Range(0, shape.Length).Where(d => !reduced.Contains(d)).Select(d => idx[d]).ToArray();
            groups[Oracle.Ravel(kept, keptShape)].Add(data[i]);
        }
        return groups;
    }

    static int[] ReducedShape(int[] shape, int[] dims, bool keepDim)
    {
        var reduced = dims.Length == 0 ? Enumerable.Range(0, shape.Length).ToArray() : dims.Select(d => d < 0 ? d + shape.Length : d).ToArray();
        return Enumerable.Range(0, shape.Length).Where(d => keepDim || !reduced.Contains(d)).Select(d => reduced.Contains(d) ? 1 : shape[d]).ToArray();
    }

    public static TheoryData<int[], int[]> Cases => new()
    {
        { [2, 3, 4], [1] }, { [2, 3, 4], [-1] }, { [2, 3, 4], [0, 2] }, { [2, 3, 4], [] }, { [5, 7, 9, 3], [1, 3] },
        { [4, 33], [0] }, { [3, 0, 4], [2] }, { [3, 0, 4], [1] }, { [1, 1000], [-1] }, { [6], [0] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SumMeanVarMatchOracle(int[] shape, int[] dims)
    {
        var rng = new Random(shape.Sum() + dims.Length);
        using var x0 = Oracle.Random(rng, shape);
        using var view = Oracle.AsPermutedView(x0);
        foreach (var x in new[] { x0, view })
            foreach (var keep in new[] { false, true })
            {
                var groups = Groups(x, dims);
                var expectedShape = ReducedShape(shape, dims, keep);
                using var sum = F.Sum(x, dims, keep);
                using var mean = F.Mean(x, dims, keep);
                using var varU = F.Var(x, dims, unbiased: true, keepDim: keep);
                using var varB = F.Var(x, dims, unbiased: false, keepDim: keep);
                Oracle.AssertShape(expectedShape, sum);
                Oracle.AssertShape(expectedShape, varU);
                Oracle.AssertClose(groups.Select(g => g.Sum()).ToArray(), sum, 1e-6, 1e-6, "Sum");
                Oracle.AssertClose(groups.Select(g => g.Count == 0 ? double.NaN : g.Average()).ToArray(), mean, 1e-6, 1e-6, "Mean");
                Oracle.AssertClose(groups.Select(g => Variance(g, 1)).ToArray(), varU, 1e-6, 1e-6, "Var unbiased");
                Oracle.AssertClose(groups.Select(g => Variance(g, 0)).ToArray(), varB, 1e-6, 1e-6, "Var biased");
            }
    }

    static double Variance(List<double> g, int correction)
    {
        if (g.Count - correction <= 0) return double.NaN;
        double m = g.Average();
        return g.Sum(v => (v - m) * (v - m)) / (g.Count - correction);
    }

    [Fact]
    public void SumCoversEveryLengthAroundVectorWidths()
    {
        var rng = new Random(11);
        for (int n = 0; n <= 70; n++)
        {
            using var x = Oracle.Random(rng, [3, n]);
            var groups = Groups(x, [1]);
            using var s = F.Sum(x, [1]);
            using var v = F.Var(x, [-1], unbiased: false);
            Oracle.AssertClose(groups.Select(g => g.Sum()).ToArray(), s, 1e-6, 1e-6, $"Sum n={n}");
            Oracle.AssertClose(groups.Select(g => Variance(g, 0)).ToArray(), v, 1e-6, 1e-6, $"Var n={n}");
        }
    }

    [Fact]
    public void VarianceIsAccurateForLargeOffsets()
    {
        // A naive one-pass E[x²] − E[x]² in float loses everything here.
        var data = Enumerable.Range(0, 1000).Select(i => 1000f + (i % 7) * 0.001f).ToArray();
        using var x = Tensor.FromArray(data, 1000);
        using var v = F.Var(x, [0], unbiased: false);
        Oracle.AssertClose([Variance(data.Select(d => (double)d).ToList(), 0)], v, 1e-4, 0, "Var offset");
    }

    [Fact]
    public void MaxMinArgmaxArgminMatchOracleWithTiesAndNaN()
    {
        var rng = new Random(12);
        foreach (var shape in new[] { new[] { 4, 9, 5 }, [1, 17], [33], [2, 3, 1] })
        {
            var data = Enumerable.Range(0, (int)ShapeUtil.Count(shape)).Select(_ => (float)rng.Next(-3, 4)).ToArray();   // many ties
            if (data.Length > 5) data[5] = float.NaN;
            using var x = Tensor.FromArray(data, shape);
            for (int dim = -shape.Length; dim < shape.Length; dim++)
            {
                var groups = Groups(x, [dim]);
                foreach (var keep in new[] { false, true })
                {
                    using var mx = F.Max(x, dim, keep);
                    using var mn = F.Min(x, dim, keep);
                    Oracle.AssertShape(ReducedShape(shape, [dim], keep), mx);
                    Oracle.AssertClose(groups.Select(g => g.Any(double.IsNaN) ? double.NaN : g.Max()).ToArray(), mx, 0, 0, "Max");
                    Oracle.AssertClose(groups.Select(g => g.Any(double.IsNaN) ? double.NaN : g.Min()).ToArray(), mn, 0, 0, "Min");
                }
                Assert.Equal(groups.Select(g => (long)FirstIndex(g, max: true)).ToArray(), F.Argmax(x, dim));
                Assert.Equal(groups.Select(g => (long)FirstIndex(g, max: false)).ToArray(), F.Argmin(x, dim));
            }
        }

        static int FirstIndex(List<double> g, bool max)
        {
            int nan = g.FindIndex(double.IsNaN);
            if (nan >= 0) return nan;
            return g.IndexOf(max ? g.Max() : g.Min());
        }
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchOracleOverEveryDimAndLength()
    {
        var rng = new Random(13);
        var shapes = new List<int[]> { new[] { 3, 4, 5 }, new[] { 2, 1, 7 }, new[] { 5, 1 } };
        for (int n = 0; n <= 66; n++) shapes.Add([2, n]);
        foreach (var shape in shapes)
        {
            using var x0 = Oracle.Random(rng, shape, 8f);
            using var view = Oracle.AsPermutedView(x0);
            foreach (var x in new[] { x0, view })
                for (int dim = 0; dim < shape.Length; dim++)
                {
                    var (soft, logSoft) = SoftmaxOracle(x, dim);
                    using var y = F.Softmax(x, dim);
                    using var ly = F.LogSoftmax(x, dim - shape.Length);
                    Oracle.AssertShape(shape, y);
                    Oracle.AssertClose(soft, y, 2e-6, 1e-9, $"Softmax {x.ShapeString} dim {dim}");
                    Oracle.AssertClose(logSoft, ly, 1e-6, 2e-6, $"LogSoftmax {x.ShapeString} dim {dim}");
                }
        }
    }

    static (double[] Soft, double[] Log) SoftmaxOracle(Tensor x, int dim)
    {
        var shape = x.ShapeArray();
        var data = x.ToArray();
        var soft = new double[data.Length];
        var log = new double[data.Length];
        for (long i = 0; i < data.Length; i++)
        {
            var idx = Oracle.Unravel(i, shape);
            double m = double.NegativeInfinity, s = 0;
            var j = (int[])idx.Clone();
            for (int k = 0; k < shape[dim]; k++) { j[dim] = k; m = Math.Max(m, data[Oracle.Ravel(j, shape)]); }
            for (int k = 0; k < shape[dim]; k++) { j[dim] = k; s += Math.Exp(data[Oracle.Ravel(j, shape)] - m); }
            soft[i] = Math.Exp(data[i] - m) / s;
            log[i] = data[i] - m - Math.Log(s);
        }
        return (soft, log);
    }

    [Fact]
    public void SoftmaxHandlesMaskedRows()
    {
        using var x = Tensor.FromArray([0f, float.NegativeInfinity, 1f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 2, 3);
        using var y = F.Softmax(x, -1);
        var v = y.ToArray();
        Assert.Equal(0f, v[1]);
        Assert.Equal(1.0, v[0] + v[2], 6);
        Assert.True(v.Skip(3).All(float.IsNaN));   // torch gives NaN for a fully masked row
    }

    [Fact]
    public void BadDimensionsNameTheOpAndShape()
    {
        using var x = Tensor.Zeros(2, 3);
        foreach (var (name, act) in new (string, Action)[]
        {
            ("F.Sum", () => F.Sum(x, [2])), ("F.Mean", () => F.Mean(x, [0, -2])), ("F.Var", () => F.Var(x, [-3])),
            ("F.Max", () => F.Max(x, 2)), ("F.Argmin", () => F.Argmin(x, -3)), ("F.Softmax", () => F.Softmax(x, 5)),
            ("F.LogSoftmax", () => F.LogSoftmax(x, -3)),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(act);
            Assert.StartsWith(name, e.Message);
            Assert.Contains("[2, 3]", e.Message);
        }
        using var empty = Tensor.Zeros(2, 0);
        Assert.StartsWith("F.Max", Assert.Throws<ArgumentException>(() => F.Max(empty, 1)).Message);
        Assert.StartsWith("F.Argmax", Assert.Throws<ArgumentException>(() => F.Argmax(empty, 1)).Message);
    }
}
