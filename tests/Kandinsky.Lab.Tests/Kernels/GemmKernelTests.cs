using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;
using static Kandinsky.Lab.Tests.Kernels.GemmTestData;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>The packed GEMM against the double-precision oracle, for both micro-kernels.</summary>
public unsafe class GemmKernelTests
{
    /// <summary>Every micro-kernel this CPU runs, the scalar fallback included (names of <see cref="GemmKernelKind"/>).</summary>
    public static TheoryData<string> Kernels()
    {
        var kinds = new TheoryData<string>();
        foreach (var kind in Enum.GetValues<GemmKernelKind>())
            if (kind <= Gemm.BestKernel) kinds.Add(kind.ToString());
        return kinds;
    }

    const int Guard = 64;

    /// <summary>Runs the fast Sgemm and the oracle on the same random operands (with guard padding around C's rows).</summary>
    static void Check(string kind, bool transA, bool transB, int m, int n, int k,
        float alpha = 1f, float beta = 0f, int padA = 0, int padB = 0, int padC = 0, int seed = 1)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        var a = Random(Math.Max(1, (transA ? k : m) * lda), seed);
        var b = Random(Math.Max(1, (transB ? n : k) * ldb), seed + 1);
        // C sits inside guard elements that must come back untouched.
        var c = Random(Guard + m * ldc + Guard, seed + 2);
        var (expected, scale) = Oracle(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c[Guard..^Guard], ldc);
        var actual = (float[])c.Clone();
        using (Gemm.UseKernel(Enum.Parse<GemmKernelKind>(kind)))
            fixed (float* pa = a, pb = b, pc = actual)
                Gemm.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc + Guard, ldc);
        AssertClose(expected, scale, actual[Guard..^Guard], k, $"{kind} m={m} n={n} k={k} transA={transA} transB={transB} alpha={alpha} beta={beta} lda={lda} ldb={ldb} ldc={ldc}");
        for (int g = 0; g < Guard; g++)
            Assert.True(actual[g] == c[g] && actual[^(g + 1)] == c[^(g + 1)], $"{kind} m={m} n={n} k={k}: guard element {g} around C was written.");
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.True(actual[Guard + i * ldc + j] == c[Guard + i * ldc + j], $"{kind}: padding C[{i}, {j}] beyond n={n} was written.");
    }

    [Theory, MemberData(nameof(Kernels))]
    public void EveryRowTail(string kind)
    {
        for (int m = 0; m <= 64; m++) Check(kind, false, true, m, 37, 19, seed: m);
    }

    [Theory, MemberData(nameof(Kernels))]
    public void EveryColumnTail(string kind)
    {
        for (int n = 0; n <= 64; n++) Check(kind, false, false, 13, n, 21, seed: n);
    }

    [Theory, MemberData(nameof(Kernels))]
    public void EveryDepthTail(string kind)
    {
        for (int k = 0; k <= 64; k++) Check(kind, false, true, 7, 18, k, seed: k);
    }

    [Theory, MemberData(nameof(Kernels))]
    public void BlockBoundaries(string kind)
    {
        foreach (int k in new[] { Gemm.KC - 1, Gemm.KC, Gemm.KC + 1, 2 * Gemm.KC + 3 })
            Check(kind, false, true, 8, 20, k, seed: k);
        foreach (int m in new[] { Gemm.MC - 1, Gemm.MC, Gemm.MC + 1, 2 * Gemm.MC + Gemm.MR + 1 })
            Check(kind, false, true, m, 17, 9, seed: m);
        // Column chunks: with eight row blocks N is cut at MaxNC; with one, into eight narrower chunks.
        foreach (int n in new[] { Gemm.MaxNC - 1, Gemm.MaxNC, Gemm.MaxNC + 1, 2 * Gemm.MaxNC + Gemm.NR + 3 })
            Check(kind, false, true, 8 * Gemm.MC, n, 9, seed: n);
        foreach (int n in new[] { 8 * Gemm.NR - 1, 8 * Gemm.NR + 1, 3 * Gemm.MaxNC + 5 })
            Check(kind, false, true, 7, n, 9, seed: n);
        Check(kind, false, true, 2 * Gemm.MC + 5, Gemm.MaxNC + 7, 2 * Gemm.KC + 9, seed: 99);
    }

    [Theory, MemberData(nameof(Kernels))]
    public void TransposesStridesAlphaBeta(string kind)
    {
        int seed = 0;
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (-0.5f, 0.75f) })
                    Check(kind, ta, tb, 23, 35, 29, alpha, beta, padA: 3, padB: 5, padC: 7, seed: seed++);
    }

    [Avx512Fact("no AVX-512 path to compare with AVX2")]
    public void SimdKernelsGiveIdenticalBits()
    {
        // AVX-512 and AVX2 run the same FMA chain per element, so they must agree exactly.
        int m = 2 * Gemm.MR + 5, n = 3 * Gemm.NR + 7, k = Gemm.KC + 13;
        var a = Random(m * k, 11);
        var b = Random(k * n, 12);
        float[] RunWith(GemmKernelKind kind)
        {
            var c = Random(m * n, 13);
            using (Gemm.UseKernel(kind))
                fixed (float* pa = a, pb = b, pc = c)
                    Gemm.Sgemm(false, false, m, n, k, 0.5f, pa, k, pb, n, 0.25f, pc, n);
            return c;
        }
        Assert.Equal(RunWith(GemmKernelKind.Avx2Fma), RunWith(GemmKernelKind.Avx512));
    }

    [Fact]
    public void BetaZeroIgnoresNaNInC()
    {
        int m = 7, n = 19, k = 5;
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Sgemm(false, false, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
        Assert.DoesNotContain(c, float.IsNaN);
    }

    [Fact]
    public void PackedHalfWeightsMatchWidenedOracle()
    {
        int m = 11, n = 45, k = 70;
        var x = Random(m * k, 3);
        var w = Random(n * k, 4);
        foreach (var dtype in new[] { DType.F16, DType.BF16 })
        {
            using var wf = Tensor.FromArray(w, n, k);
            using var wh = dtype == DType.F16 ? wf.ToFloat16() : ToBFloat16(wf);
            var widened = wh.ToArray(); // the exact values the packed panels must hold
            var (expected, scale) = Oracle(false, true, m, n, k, 1f, x, k, widened, k, 0f, new float[m * n], n);
            using var packed = PackedB.FromWeight(wh);
            var actual = new float[m * n];
            fixed (float* px = x, py = actual)
                Gemm.Run(new StridedA(px, k, 1), m, packed, py, n);
            AssertClose(expected, scale, actual, k, $"{dtype} weight");
        }
    }

    [Fact]
    public void RowRangesAndTransposedOutputMatchFullRun()
    {
        int m = 50, n = 40, k = 33;
        var a = Random(m * k, 5);
        var w = Random(n * k, 6);
        var bias = Random(n, 7);
        using var wt = Tensor.FromArray(w, n, k);
        using var packed = PackedB.FromWeight(wt);
        var full = new float[m * n];
        var pieces = new float[m * n];
        var transposed = new float[n * m];
        fixed (float* pa = a, pf = full, pp = pieces, pt = transposed, pbias = bias)
        {
            var src = new StridedA(pa, k, 1);
            Gemm.Run(src, m, packed, pf, n, bias: pbias);
            foreach (var (start, end) in new[] { (0, 7), (7, 8), (8, 31), (31, 50) })
                Gemm.RunRows(src, start, end, packed, pp, n, bias: pbias);
            Gemm.RunRows(src, 0, m, packed, pt, 1, bias: pbias, cColStride: m); // C element (i, j) at j·m + i
        }
        Assert.Equal(full, pieces);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(full[i * n + j], transposed[j * m + i]);
    }

    [Fact]
    public void PackIntoCallerBufferMatchesOwnedPack()
    {
        int m = 9, n = 21, k = 300;
        var a = Random(m * k, 8);
        var b = Random(k * n, 9);
        using var bt = Tensor.FromArray(b, k, n);
        using var owned = PackedB.FromMatrix(bt);
        var buffer = new float[PackedB.PackedLength(k, n)];
        var fromOwned = new float[m * n];
        var fromBorrowed = new float[m * n];
        fixed (float* pa = a, pb = b, pbuf = buffer, po = fromOwned, pw = fromBorrowed)
        {
            var borrowed = PackedB.PackInto(pbuf, buffer.Length, pb, DType.F32, k, n, n, 1);
            Gemm.Run(new StridedA(pa, k, 1), m, owned, po, n);
            Gemm.Run(new StridedA(pa, k, 1), m, borrowed, pw, n);
            var pp = (nint)pb;
            var bp = (nint)pbuf;
            var ex = Assert.Throws<ArgumentException>(() => PackedB.PackInto((float*)bp, 10, (float*)pp, DType.F32, k, n, n, 1));
            Assert.Contains($"{PackedB.PackedLength(k, n)}", ex.Message);
        }
        Assert.Equal(fromOwned, fromBorrowed);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            var pp = (nint)p;
            var ex = Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 4, 4, 4, 1f, (float*)pp, 3, (float*)pp, 4, 0f, (float*)pp, 4));
            Assert.Contains("lda=3", ex.Message);
            Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, -1, 4, 4, 1f, (float*)pp, 4, (float*)pp, 4, 0f, (float*)pp, 4));
        }
    }

    static Tensor ToBFloat16(Tensor t)
    {
        var values = t.ToArray();
        var result = Tensor.Empty(DType.BF16, t.ShapeArray());
        var bits = new Span<ushort>(result.RawPointer, values.Length);
        for (int i = 0; i < values.Length; i++) bits[i] = BFloat16.FromSingle(values[i]);
        return result;
    }
}
