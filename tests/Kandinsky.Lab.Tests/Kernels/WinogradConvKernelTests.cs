using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;
using static Kandinsky.Lab.Tests.Kernels.ConvKernelTests;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>Winograd F(2×2, 3×3) convolution against the double-precision <see cref="ConvReference"/>, on every supported micro-kernel.</summary>
public class WinogradConvKernelTests
{
    public static TheoryData<string> Kernels() => ConvKernelTests.Kernels();

    static Tensor Winograd(Tensor x, Tensor weight, Tensor? bias, int padding, MicroKernel kernel) =>
        ConvKernel.Winograd(x, WinogradConvKernel.Transform(weight, kernel), bias, padding);

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceOverOddSizesPaddingsAndChannelCounts(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        var rng = new Random(31);
        for (int trial = 0; trial < 60; trial++)
        {
            // Heights and widths from 3 (one output) to 40, odd and even, so tiles are cut at the right and bottom
            // edges and tile rows straddle vector widths, micro-panel widths and images.
            int n = rng.Next(1, 3), c = rng.Next(1, 80), o = rng.Next(1, 40), h = rng.Next(3, 41), w = rng.Next(3, 41);
            int padding = trial % 3 == 0 ? 0 : 1;
            using var x = Random(rng, n, c, h, w);
            using var weight = Random(rng, o, c, 3, 3);
            using var bias = trial % 4 == 0 ? null : Random(rng, o);
            using var expected = ConvReference.Conv2d(x, weight, bias, 1, padding);
            using var actual = Winograd(x, weight, bias, padding, kernel);
            AssertClose(expected, actual, 9 * c, $"{kernel} winograd n={n} c={c} o={o} {h}x{w} p={padding}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceAcrossChannelBlocksAndTaskGroups(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        var rng = new Random(32);
        // 1000 input channels: two GEMM passes (500 + 500).
        using var x = Random(rng, 2, 1000, 6, 11);
        using var weight = Random(rng, 20, 1000, 3, 3);
        using var bias = Random(rng, 20);
        using var expected = ConvReference.Conv2d(x, weight, bias, 1, 1);
        using var actual = Winograd(x, weight, bias, 1, kernel);
        AssertClose(expected, actual, 9000, $"{kernelName} winograd 2x1000x6x11 -> 20");
        // 410 output channels: several row groups of the GEMM tasks; 70 columns of tiles cross micro-panel widths.
        using var x2 = Random(rng, 2, 30, 18, 34);
        using var weight2 = Random(rng, 410, 30, 3, 3);
        using var bias2 = Random(rng, 410);
        using var expected2 = ConvReference.Conv2d(x2, weight2, bias2, 1, 1);
        using var actual2 = Winograd(x2, weight2, bias2, 1, kernel);
        AssertClose(expected2, actual2, 270, $"{kernelName} winograd 2x30x18x34 -> 410");
    }

    [Fact]
    public void ChunksOfTileRowsGiveTheSameBits()
    {
        var rng = new Random(33);
        using var x = Random(rng, 2, 20, 23, 41);
        using var weight = Random(rng, 30, 20, 3, 3);
        using var bias = Random(rng, 30);
        using var whole = Winograd(x, weight, bias, 1, MicroKernel.Best);
        long saved = WinogradConvKernel.MaxChunkBytes;
        try
        {
            foreach (long bytes in new long[] { 1, 200_000, 1_000_000 }) // one tile row per chunk, then a few rows
            {
                WinogradConvKernel.MaxChunkBytes = bytes;
                using var chunked = Winograd(x, weight, bias, 1, MicroKernel.Best);
                Assert.True(whole.ToArray().SequenceEqual(chunked.ToArray()), $"chunks of {bytes} bytes changed the result");
            }
        }
        finally
        {
            WinogradConvKernel.MaxChunkBytes = saved;
        }
    }

    [Fact]
    public void ResultIsBitIdenticalForOneAndTwoThreads()
    {
        var shapes = from c in Gen.Choose(1, 70)
                     from o in Gen.Choose(1, 70)
                     from h in Gen.Choose(3, 24)
                     from w in Gen.Choose(3, 40)
                     from padding in Gen.Elements(0, 1)
                     from seed in Gen.Choose(0, 1000)
                     select (c, o, h, w, padding, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            var rng = new Random(s.seed);
            using var x = Random(rng, 2, s.c, s.h, s.w);
            using var weight = Random(rng, s.o, s.c, 3, 3);
            using var bias = Random(rng, s.o);
            return ThreadCounts.SameBits(() => Winograd(x, weight, bias, s.padding, MicroKernel.Best));
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void HalfWeightsAreWidenedBeforeTheTransform(DType weightType)
    {
        var rng = new Random(34);
        using var x = Random(rng, 1, 24, 17, 20);
        using var w32 = Random(rng, 16, 24, 3, 3);
        using var weight = weightType == DType.F16 ? w32.ToFloat16() : ToBFloat16(w32);
        using var expected = ConvReference.Conv2d(x, weight, null, 1, 1);
        using var actual = Winograd(x, weight, null, 1, MicroKernel.Best);
        AssertClose(expected, actual, 216, $"winograd {weightType} weights");
    }

    [Fact]
    public void ReadsNonContiguousInputs()
    {
        var rng = new Random(35);
        using var nhwc = Random(rng, 2, 19, 22, 20);
        using var permuted = nhwc.Permute(0, 3, 1, 2); // [2, 20, 19, 22] with a strided W
        using var weight = Random(rng, 18, 20, 3, 3);
        using var expected = ConvReference.Conv2d(permuted, weight, null, 1, 1);
        using var actual = Winograd(permuted, weight, null, 1, MicroKernel.Best);
        AssertClose(expected, actual, 180, "winograd on a permuted input");
    }

    [Fact]
    public void Conv2dTakesWinogradOnlyWhereItApplies()
    {
        var rng = new Random(36);
        using var weight = Random(rng, 64, 64, 3, 3);
        using var big = Random(rng, 1, 64, 32, 32);   // 256 tiles: Winograd
        using var small = Random(rng, 1, 64, 16, 16); // 64 tiles: direct
        Assert.True(WinogradConvKernel.Applies(64, 64, 3, 3, 1, 1, 32, 32));
        Assert.False(WinogradConvKernel.Applies(64, 64, 3, 3, 1, 1, 16, 16));
        Assert.False(WinogradConvKernel.Applies(64, 64, 3, 3, 2, 1, 32, 32));
        Assert.False(WinogradConvKernel.Applies(32, 64, 3, 3, 1, 1, 32, 32));
        Assert.False(WinogradConvKernel.Applies(2048, 2048, 3, 3, 1, 1, 64, 64));
        Assert.Equal("winograd F(2x2,3x3)", F.Conv2dAlgorithm(big, weight, 1, 1));
        Assert.Equal(MicroKernel.Best.NR / 2 > 16 ? "implicit gemm" : "direct", F.Conv2dAlgorithm(small, weight, 1, 1));
        Assert.Equal("implicit gemm", F.Conv2dAlgorithm(big, weight, 2, 1));
        using var viaF = F.Conv2d(big, weight, null, 1, 1);
        using var winograd = Winograd(big, weight, null, 1, MicroKernel.Best);
        Assert.True(viaF.ToArray().SequenceEqual(winograd.ToArray()), "F.Conv2d did not take the Winograd path");
        using var smallViaF = F.Conv2d(small, weight, null, 1, 1);
        using var direct = ConvKernel.Conv2d(small, ConvKernel.Pack(weight, MicroKernel.Best), null, 1, 1);
        Assert.True(smallViaF.ToArray().SequenceEqual(direct.ToArray()), "F.Conv2d did not take the direct path");
    }
}
