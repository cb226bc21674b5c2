using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;
using static Kandinsky.Lab.Tests.Kernels.ConvKernelTests;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>Fused F.ScaledDotProductAttention (every supported micro-kernel) and the unfused baseline against the double-precision <see cref="AttentionReference"/>.</summary>
public class AttentionKernelTests
{
    public static TheoryData<string> Kernels() => ConvKernelTests.Kernels();

    static void Check(MicroKernel kernel, Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, string what, float? scale = null)
    {
        using var expected = AttentionReference.Forward(q, k, v, mask, causal, scale);
        using var fused = F.ScaledDotProductAttention(q, k, v, mask, causal, scale, kernel);
        AssertClose(expected, fused, q.Size(3) + k.Size(2), $"{kernel} fused {what}");
        using var expanded = mask?.Expand(q.Size(0), q.Size(1), q.Size(2), k.Size(2));
        using var unfused = AttentionBaseline.Unfused(new AttentionOperands(q, k, v, expanded, causal, scale ?? 1f / MathF.Sqrt(q.Size(3))), kernel);
        AssertClose(expected, unfused, q.Size(3) + k.Size(2), $"{kernel} unfused {what}");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceForLengthsAroundTileSizes(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        var rng = new Random(11);
        // Query blocks are multiples of 96 / 48 / 8 and key blocks 192: lengths straddle both, with tails up to 64.
        int[] lengths = [1, 7, 31, 47, 48, 49, 95, 96, 97, 128, 191, 192, 193, 250];
        for (int trial = 0; trial < 14; trial++)
        {
            int lq = lengths[trial], lk = lengths[(trial * 5 + 3) % lengths.Length];
            int d = rng.Next(1, 41), dv = trial % 3 == 0 ? rng.Next(1, 41) : d;
            using var q = Random(rng, 2, 2, lq, d);
            using var k = Random(rng, 2, 2, lk, d);
            using var v = Random(rng, 2, 2, lk, dv);
            Check(kernel, q, k, v, null, false, $"lq={lq} lk={lk} d={d} dv={dv}");
            Check(kernel, q, k, v, null, true, $"causal lq={lq} lk={lk} d={d} dv={dv}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void HeadDimensionsBeyondOneScoreBlockMatchTheReference(string kernelName)
    {
        // D = 520 takes two head-dimension blocks of the score GEMM (512 + 8); Lk = 400 three key blocks; Lq = 200
        // two query blocks of unequal size (the query panels are shared out evenly).
        var kernel = KernelNamed(kernelName);
        var rng = new Random(15);
        using var q = Random(rng, 1, 1, 200, 520);
        using var k = Random(rng, 1, 1, 400, 520);
        using var v = Random(rng, 1, 1, 400, 40);
        Check(kernel, q, k, v, null, false, "d=520 dv=40");
        Check(kernel, q, k, v, null, true, "causal d=520 dv=40");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AppliesAdditiveAndBooleanMasks(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        var rng = new Random(12);
        using var q = Random(rng, 2, 3, 100, 24);
        using var k = Random(rng, 2, 3, 211, 24);
        using var v = Random(rng, 2, 3, 211, 40);
        using var additive = Random(rng, 2, 1, 100, 211);              // broadcast over heads
        Check(kernel, q, k, v, additive, false, "additive [B, 1, Lq, Lk]");
        Check(kernel, q, k, v, additive, true, "additive + causal", scale: 0.3f);

        var keepValues = new float[2 * 211];
        for (int i = 0; i < keepValues.Length; i++) keepValues[i] = rng.Next(4) == 0 ? 0 : 1;
        using var keep = Tensor.FromArray(keepValues, 2, 1, 1, 211);     // key padding: one value per key
        using var padding = F.MaskFromBool(keep);
        Check(kernel, q, k, v, padding, false, "boolean key mask [B, 1, 1, Lk]");
    }

    [Fact]
    public void FullyMaskedRowsAreNaNLikeTorchAndOtherRowsAreNot()
    {
        var rng = new Random(13);
        using var q = Random(rng, 1, 1, 5, 8);
        using var k = Random(rng, 1, 1, 9, 8);
        using var v = Random(rng, 1, 1, 9, 8);
        var keep = new float[5 * 9];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 9; j++) keep[i * 9 + j] = i == 2 ? 0 : 1; // query 2 sees nothing
        using var keepT = Tensor.FromArray(keep, 5, 9);
        using var mask = F.MaskFromBool(keepT);
        using var y = F.ScaledDotProductAttention(q, k, v, mask);
        for (int i = 0; i < 5; i++)
            for (int t = 0; t < 8; t++)
                Assert.Equal(i == 2, float.IsNaN(y[0, 0, i, t]));
        Check(MicroKernel.Best, q, k, v, mask, false, "fully masked row");
    }

    [Fact]
    public void EmptyQueriesGiveAnEmptyResultAndNoKeysGiveNaN()
    {
        using var q0 = Tensor.Zeros(1, 2, 0, 8);
        using var k = Tensor.Ones(1, 2, 3, 8);
        using var y0 = F.ScaledDotProductAttention(q0, k, k);
        Assert.Equal(new[] { 1, 2, 0, 8 }, y0.ShapeArray());

        using var q = Tensor.Ones(1, 2, 4, 8);
        using var none = Tensor.Zeros(1, 2, 0, 8);
        using var y = F.ScaledDotProductAttention(q, none, none);
        Assert.All(y.ToArray(), x => Assert.True(float.IsNaN(x)));
    }

    [Fact]
    public void ReadsPermutedViewsInPlace()
    {
        var rng = new Random(14);
        // [B, S, H, D] projections viewed as [B, H, S, D], as the UNet's attention does.
        using var qs = Random(rng, 2, 130, 3, 16);
        using var ks = Random(rng, 2, 77, 3, 16);
        using var vs = Random(rng, 2, 77, 3, 16);
        using var q = qs.Permute(0, 2, 1, 3);
        using var k = ks.Permute(0, 2, 1, 3);
        using var v = vs.Permute(0, 2, 1, 3);
        Assert.False(q.IsContiguous);
        foreach (var kernel in MicroKernel.Supported)
            Check(kernel, q, k, v, null, false, "permuted [B, S, H, D] views");
    }

    [Fact]
    public void ResultIsBitIdenticalForOneAndTwoThreads()
    {
        var shapes = from lq in Gen.Choose(1, 300)
                     from lk in Gen.Choose(1, 300)
                     from d in Gen.Choose(1, 48)
                     from heads in Gen.Choose(1, 3)
                     from causal in Gen.Elements(false, true)
                     from seed in Gen.Choose(0, 1000)
                     select (lq, lk, d, heads, causal, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            var rng = new Random(s.seed);
            using var q = Random(rng, 1, s.heads, s.lq, s.d);
            using var k = Random(rng, 1, s.heads, s.lk, s.d);
            using var v = Random(rng, 1, s.heads, s.lk, s.d);
            return ThreadCounts.SameBits(() => F.ScaledDotProductAttention(q, k, v, isCausal: s.causal));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ConcurrentCallsOfDifferentSizesMatchSequentialOnes()
    {
        // Calls share the K/V pack buffer kept between calls and their threads' scratch; neither may leak across calls.
        var rng = new Random(17);
        var shapes = new[] { (lq: 300, lk: 260, d: 48), (lq: 90, lk: 700, d: 24), (lq: 500, lk: 40, d: 64), (lq: 7, lk: 9, d: 8) };
        var inputs = shapes.Select(s => (q: Random(rng, 1, 2, s.lq, s.d), k: Random(rng, 1, 2, s.lk, s.d), v: Random(rng, 1, 2, s.lk, s.d))).ToArray();
        try
        {
            var expected = inputs.Select(x => { using var y = F.ScaledDotProductAttention(x.q, x.k, x.v); return y.ToArray(); }).ToArray();
            var actual = new float[3 * inputs.Length][];
            Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            {
                var x = inputs[i % inputs.Length];
                using var y = F.ScaledDotProductAttention(x.q, x.k, x.v);
                actual[i] = y.ToArray();
            });
            for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i % inputs.Length], actual[i]);
        }
        finally
        {
            foreach (var (q, k, v) in inputs) { q.Dispose(); k.Dispose(); v.Dispose(); }
        }
    }

    [Fact]
    public void BadShapesNameTheOpAndTheShapes()
    {
        using var q = Tensor.Zeros(1, 2, 5, 8);
        using var k = Tensor.Zeros(1, 2, 6, 4);
        var e = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, k));
        Assert.Contains("F.ScaledDotProductAttention", e.Message);
        Assert.Contains("[1, 2, 5, 8]", e.Message);
        Assert.Contains("[1, 2, 6, 4]", e.Message);

        using var k8 = Tensor.Zeros(1, 2, 6, 8);
        using var mask = Tensor.Zeros(5, 7);
        var m = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k8, k8, mask));
        Assert.Contains("F.ScaledDotProductAttention", m.Message);
        Assert.Contains("mask [5, 7]", m.Message);
        Assert.Contains("[1, 2, 5, 6]", m.Message);
    }
}
