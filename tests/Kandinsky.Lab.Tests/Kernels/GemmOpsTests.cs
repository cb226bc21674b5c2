using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;
using static Kandinsky.Lab.Tests.Kernels.GemmTestData;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>F.Linear, F.Bmm and F.MatMul on the packed GEMM: oracle agreement, views, broadcasting, errors, properties.</summary>
public unsafe class GemmOpsTests
{
    static Tensor RandomTensor(int seed, params int[] shape) => Tensor.FromArray(Random((int)ShapeUtil.Count(shape), seed), shape);

    /// <summary>Oracle for row-major [m, k] · op(B) with B given as a plain array.</summary>
    static void AssertMatches(float[] x, float[] b, bool transB, int m, int n, int k, float[]? bias, float[] actual, string what)
    {
        var c = new float[m * n];
        if (bias != null)
            for (int i = 0; i < m; i++) bias.CopyTo(c, i * n);
        var (expected, scale) = Oracle(false, transB, m, n, k, 1f, x, k, b, transB ? k : n, bias != null ? 1f : 0f, c, n);
        AssertClose(expected, scale, actual, k, what);
    }

    [Fact]
    public void LinearMatchesOracleWithAndWithoutBias()
    {
        using var x = RandomTensor(1, 2, 5, 37);   // [B, S, in]
        using var w = RandomTensor(2, 29, 37);     // [out, in]
        using var bias = RandomTensor(3, 29);      // [out]
        using var withBias = F.Linear(x, w, bias);
        using var without = F.Linear(x, w);
        Assert.Equal(new[] { 2, 5, 29 }, withBias.ShapeArray());
        AssertMatches(x.ToArray(), w.ToArray(), true, 10, 29, 37, bias.ToArray(), withBias.ToArray(), "F.Linear with bias");
        AssertMatches(x.ToArray(), w.ToArray(), true, 10, 29, 37, null, without.ToArray(), "F.Linear without bias");
    }

    [Fact]
    public void LinearWithHalfWeightsEqualsLinearWithTheirWidenedValues()
    {
        using var x = RandomTensor(4, 3, 7, 40);
        using var w = RandomTensor(5, 33, 40);
        using var bias = RandomTensor(6, 33);
        using var wh = w.ToFloat16();
        using var widened = wh.ToFloat32();
        using var half = F.Linear(x, wh, bias);
        using var full = F.Linear(x, widened, bias);
        Assert.Equal(full.ToArray(), half.ToArray());
    }

    [Fact]
    public void LinearReadsNonContiguousInputAndWeightViews()
    {
        using var xt = RandomTensor(7, 19, 11);    // [in, rows]
        using var x = xt.Transpose(0, 1);          // [rows, in], column-major view
        using var wt = RandomTensor(8, 19, 23);    // [in, out]
        using var w = wt.Transpose(0, 1);          // [out, in] view
        using var xc = x.Contiguous();
        using var wc = w.Contiguous();
        using var fromViews = F.Linear(x, w);
        using var fromCopies = F.Linear(xc, wc);
        Assert.Equal(fromCopies.ToArray(), fromViews.ToArray());
        AssertMatches(xc.ToArray(), wc.ToArray(), true, 11, 23, 19, null, fromViews.ToArray(), "F.Linear on views");
    }

    [Fact]
    public void LinearCachesThePackUntilInvalidated()
    {
        using var x = RandomTensor(9, 4, 8);
        using var w = RandomTensor(10, 6, 8);
        Assert.Same(PackedB.ForWeight(w), PackedB.ForWeight(w));
        using var before = F.Linear(x, w);
        w.AsSpan().Fill(0f);
        PackedB.Invalidate(w);
        using var after = F.Linear(x, w);
        Assert.NotEqual(before.ToArray(), after.ToArray());
        Assert.All(after.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LinearWithEmptyReductionIsTheBias()
    {
        using var x = Tensor.Zeros(3, 0);
        using var w = Tensor.Zeros(4, 0);
        using var bias = RandomTensor(11, 4);
        using var y = F.Linear(x, w, bias);
        Assert.Equal(bias.ToArray().Concat(bias.ToArray()).Concat(bias.ToArray()), y.ToArray());
    }

    [Fact]
    public void BmmReadsTransposedKeysWithoutChangingResults()
    {
        using var q = RandomTensor(12, 3, 13, 16);     // [B, Sq, d]
        using var k = RandomTensor(13, 3, 17, 16);     // [B, Sk, d]
        using var kt = k.Transpose(1, 2);              // [B, d, Sk], strided view
        using var ktc = kt.Contiguous();
        using var scores = F.Bmm(q, kt);
        using var reference = F.Bmm(q, ktc);
        Assert.Equal(new[] { 3, 13, 17 }, scores.ShapeArray());
        Assert.Equal(reference.ToArray(), scores.ToArray());
        var qa = q.ToArray();
        var ka = k.ToArray();
        var s = scores.ToArray();
        for (int b = 0; b < 3; b++)
            AssertMatches(qa[(b * 13 * 16)..((b + 1) * 13 * 16)], ka[(b * 17 * 16)..((b + 1) * 17 * 16)], true, 13, 17, 16, null,
                s[(b * 13 * 17)..((b + 1) * 13 * 17)], $"Q·Kᵀ batch {b}");
    }

    [Fact]
    public void MatMulBroadcastsBatchDimensions()
    {
        using var a = RandomTensor(14, 2, 1, 9, 6);  // [2, 1, m, k]
        using var b = RandomTensor(15, 3, 6, 5);     // [3, k, n]
        using var y = F.MatMul(a, b);
        Assert.Equal(new[] { 2, 3, 9, 5 }, y.ShapeArray());
        var aa = a.ToArray();
        var ba = b.ToArray();
        var ya = y.ToArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                int o = (i * 3 + j) * 45;
                AssertMatches(aa[(i * 54)..((i + 1) * 54)], ba[(j * 30)..((j + 1) * 30)], false, 9, 5, 6, null, ya[o..(o + 45)], $"batch ({i}, {j})");
            }
    }

    [Fact]
    public void MatMulOfMatricesAndBatchedTimesMatrix()
    {
        using var a = RandomTensor(16, 4, 3, 7);
        using var w = RandomTensor(17, 7, 10);
        using var batched = F.MatMul(a, w);
        for (int i = 0; i < 4; i++)
        {
            using var ai = a.Select(0, i);
            using var yi = F.MatMul(ai, w);
            using var bi = batched.Select(0, i);
            Assert.Equal(yi.ToArray(), bi.ToArray());
        }
    }

    [Fact]
    public void BadShapesNameTheOpAndBothShapes()
    {
        using var x = Tensor.Zeros(2, 3);
        using var w = Tensor.Zeros(4, 5);
        using var b3 = Tensor.Zeros(2, 4, 5);
        using var c3 = Tensor.Zeros(3, 5, 6);
        using var bias = Tensor.Zeros(7);
        AssertNames(() => F.Linear(x, w), "F.Linear", "[2, 3]", "[4, 5]");
        using var w35 = Tensor.Zeros(5, 3);
        AssertNames(() => F.Linear(x, w35, bias), "F.Linear", "[7]", "[5, 3]");
        AssertNames(() => F.MatMul(x, w), "F.MatMul", "[2, 3]", "[4, 5]");
        AssertNames(() => F.Bmm(b3, c3), "F.Bmm", "[2, 4, 5]", "[3, 5, 6]");
        using var d = Tensor.Zeros(2, 3, 4);
        using var e = Tensor.Zeros(5, 4, 2);
        AssertNames(() => F.MatMul(d, e), "F.MatMul", "[2, 3, 4]", "[5, 4, 2]");
    }

    static void AssertNames(Func<Tensor> op, params string[] parts)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => op().Dispose());
        foreach (var part in parts) Assert.Contains(part, ex.Message);
    }

    [Fact]
    public void ResultsAreBitIdenticalForOneAndTwoThreads()
    {
        var shapes = from m in Gen.Choose(1, 2 * Gemm.MC + 7)
                     from n in Gen.Choose(1, 2 * Gemm.MaxNC + 9)
                     from k in Gen.Choose(1, Gemm.KC + 40)
                     from seed in Gen.Choose(0, 1000)
                     select (m, n, k, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            using var a = RandomTensor(s.seed, s.m, s.k);
            using var w = RandomTensor(s.seed + 1, s.n, s.k);
            using var bias = RandomTensor(s.seed + 2, s.n);
            using var wt = w.Transpose(0, 1);
            return ThreadCounts.SameBits(() => F.Linear(a, w, bias)) && ThreadCounts.SameBits(() => F.MatMul(a, wt));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(12));
    }

    [Fact]
    public void MatMulIsAssociativeWithinRounding()
    {
        var shapes = from m in Gen.Choose(1, 40)
                     from p in Gen.Choose(1, 40)
                     from q in Gen.Choose(1, 40)
                     from n in Gen.Choose(1, 40)
                     from seed in Gen.Choose(0, 1000)
                     select (m, p, q, n, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            using var a = RandomTensor(s.seed, s.m, s.p);
            using var b = RandomTensor(s.seed + 1, s.p, s.q);
            using var c = RandomTensor(s.seed + 2, s.q, s.n);
            using var ab = F.MatMul(a, b);
            using var left = F.MatMul(ab, c);
            using var bc = F.MatMul(b, c);
            using var right = F.MatMul(a, bc);
            // Both orders sum p·q products of terms in [-1, 1]: compare relative to that magnitude.
            float tolerance = 1e-5f * s.p * s.q;
            return left.ToArray().Zip(right.ToArray()).All(t => MathF.Abs(t.First - t.Second) <= tolerance);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }
}
