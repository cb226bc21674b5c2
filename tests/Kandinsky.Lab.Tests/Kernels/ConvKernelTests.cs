using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>F.Conv2d (implicit GEMM on every supported micro-kernel) against the double-precision <see cref="ConvReference"/>.</summary>
public class ConvKernelTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var k in MicroKernel.Supported) data.Add(k.Name);
        return data;
    }

    internal static MicroKernel KernelNamed(string name) => MicroKernel.Supported.Single(k => k.Name == name);

    internal static Tensor Random(Random rng, params int[] shape)
    {
        var values = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(values, shape);
    }

    /// <summary>Fails with the first mismatch (NaN matches NaN); the tolerance grows with the reduction length.</summary>
    internal static void AssertClose(Tensor expected, Tensor actual, int reduction, string what)
    {
        Assert.Equal(expected.ShapeArray(), actual.ShapeArray());
        var e = expected.ToArray();
        var a = actual.ToArray();
        double tol = 1e-6 * (4 + reduction);
        for (int i = 0; i < e.Length; i++)
        {
            if (float.IsNaN(e[i]) && float.IsNaN(a[i])) continue;
            double diff = Math.Abs(e[i] - a[i]);
            if (!(diff <= tol * (1 + Math.Abs(e[i]))))
                Assert.Fail($"{what}: element {i} expected {e[i]} got {a[i]} (diff {diff:E2}, tol {tol:E2}).");
        }
    }

    static void CheckAgainstReference(MicroKernel kernel, Random rng, int n, int c, int o, int h, int w, int k, int stride, int padding, bool bias, DType weightType = DType.F32)
    {
        using var x = Random(rng, n, c, h, w);
        using var w32 = Random(rng, o, c, k, k);
        using var weight = weightType switch
        {
            DType.F16 => w32.ToFloat16(),
            DType.BF16 => ToBFloat16(w32),
            _ => w32.Alias(),
        };
        using var b = bias ? Random(rng, o) : null;
        using var expected = ConvReference.Conv2d(x, weight, b, stride, padding);
        using var actual = F.Conv2d(x, weight, b, stride, padding, kernel);
        AssertClose(expected, actual, c * k * k, $"{kernel} conv n={n} c={c} o={o} h={h} w={w} k={k} s={stride} p={padding} bias={bias} {weightType}");
    }

    internal static unsafe Tensor ToBFloat16(Tensor t)
    {
        var values = t.ToArray();
        var dst = Tensor.Empty(DType.BF16, t.ShapeArray());
        var bits = (ushort*)dst.RawPointer;
        for (int i = 0; i < values.Length; i++) bits[i] = BFloat16.FromSingle(values[i]);
        return dst;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceOverSmallShapesWithTails(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        var rng = new Random(1234);
        for (int trial = 0; trial < 120; trial++)
        {
            int k = trial % 2 == 0 ? 3 : 1;
            int stride = trial % 3 == 2 ? 2 : 1;
            int padding = trial % 4 < 2 ? 1 : 0;
            int h = rng.Next(k, 41), w = rng.Next(k, 41);
            CheckAgainstReference(kernel, rng, n: rng.Next(1, 3), c: rng.Next(1, 41), o: rng.Next(1, 41), h, w, k, stride, padding, bias: trial % 5 != 0);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesReferenceAcrossTileAndReductionBlocks(string kernelName)
    {
        // O > one channel block, K = 2700 > several im2col blocks, N·P = 800 columns > one column block,
        // and P = 400 not a multiple of NR so micro tiles cross from one image into the next.
        CheckAgainstReference(KernelNamed(kernelName), new Random(7), n: 2, c: 300, o: 203, h: 20, w: 20, k: 3, stride: 1, padding: 1, bias: true);
        // Four column blocks, so one tile spans all 410 channels in several inner channel blocks.
        CheckAgainstReference(KernelNamed(kernelName), new Random(8), n: 2, c: 40, o: 410, h: 33, w: 33, k: 3, stride: 1, padding: 1, bias: true);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void DirectPathMatchesReferenceAndTheIm2ColPathBitForBit(string kernelName)
    {
        var kernel = KernelNamed(kernelName);
        int v = kernel.NR / 2; // a direct run: output widths that are multiples of v take the direct path
        var rng = new Random(21);
        // Run counts 1 (one unpaired run), 2, 3 (pairs that cross rows), 5 and 16; 300 input channels span several
        // channel blocks; 1×1 and 3×3 kernels, with and without padding; 2 images; channel counts off the MR grid.
        var cases = new (int N, int C, int O, int OH, int OW, int K, int P)[]
        {
            (1, 3, 5, 3, v, 3, 1), (2, 7, 29, 4, 2 * v, 3, 1), (1, 5, 13, 5, 3 * v, 3, 0), (2, 300, 17, 2, 5 * v, 3, 1),
            (1, 9, 14, 7, v, 1, 0), (2, 40, 31, 3, 3 * v, 3, 1),
            (1, 6, 250, 2, 8 * v, 3, 1), // 250 channels × 16 runs: more C tile than one task keeps, so channel groups
        };
        foreach (var (n, c, o, oh, ow, k, p) in cases)
        {
            int h = oh + k - 1 - 2 * p, w = ow + k - 1 - 2 * p;
            using var x = Random(rng, n, c, h, w);
            using var weight = Random(rng, o, c, k, k);
            using var bias = Random(rng, o);
            var packed = ConvKernel.Pack(weight, kernel);
            Assert.True(DirectConvKernel.Applies(packed, 1, ow));
            using var expected = ConvReference.Conv2d(x, weight, bias, 1, p);
            using var direct = ConvKernel.Conv2d(x, packed, bias, 1, p);
            using var im2col = ConvKernel.Conv2d(x, packed, bias, 1, p, allowDirect: false);
            string what = $"{kernel} direct conv n={n} c={c} o={o} {h}x{w} k={k} p={p}";
            AssertClose(expected, direct, c * k * k, what);
            Assert.True(direct.ToArray().SequenceEqual(im2col.ToArray()), $"{what}: direct and im2col results differ");
        }
    }

    [Fact]
    public void ZeroInputChannelsGiveTheBias()
    {
        int w = MicroKernel.Best.NR; // a width the direct path would take
        using var x = Tensor.Zeros(1, 0, 3, w);
        using var weight = Tensor.Zeros(2, 0, 3, 3);
        using var bias = Tensor.FromArray(new[] { 1.5f, -2f }, 2);
        using var y = F.Conv2d(x, weight, bias, 1, 1);
        Assert.Equal(new[] { 1, 2, 3, w }, y.ShapeArray());
        var values = y.ToArray();
        for (int i = 0; i < values.Length; i++) Assert.Equal(i < 3 * w ? 1.5f : -2f, values[i]);
    }

    [Fact]
    public void DirectPathIsBitIdenticalForOneAndTwoThreads()
    {
        int v = MicroKernel.Best.NR / 2;
        var shapes = from c in Gen.Choose(1, 40)
                     from o in Gen.Choose(1, 40)
                     from h in Gen.Choose(1, 9)
                     from runs in Gen.Choose(1, 6)
                     from n in Gen.Choose(1, 2)
                     from seed in Gen.Choose(0, 1000)
                     select (c, o, h, runs, n, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            var rng = new Random(s.seed);
            using var x = Random(rng, s.n, s.c, s.h, s.runs * v);
            using var weight = Random(rng, s.o, s.c, 3, 3);
            return ThreadCounts.SameBits(() => F.Conv2d(x, weight, null, 1, 1));
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void HalfWeightsAreConvertedAtPacking(DType weightType)
    {
        var rng = new Random(99);
        CheckAgainstReference(MicroKernel.Best, rng, 2, 13, 17, 11, 9, 3, 1, 1, bias: true, weightType);
        CheckAgainstReference(MicroKernel.Best, rng, 1, 24, 8, 10, 10, 1, 2, 0, bias: true, weightType);
    }

    [Fact]
    public void ReadsNonContiguousInputsWithoutChangingTheResult()
    {
        var rng = new Random(5);
        using var nhwc = Random(rng, 2, 12, 15, 7);          // [N, H, W, C]
        using var permuted = nhwc.Permute(0, 3, 1, 2);        // [N, C, H, W] with a strided W
        using var wide = Random(rng, 2, 7, 12, 20);
        using var sliced = wide.Slice(3, 2, 17);              // unit-stride W, padded rows
        using var weight = Random(rng, 9, 7, 3, 3);
        using var bias = Random(rng, 9);
        foreach (var x in new[] { permuted, sliced })
            foreach (int stride in new[] { 1, 2 })
            {
                using var expected = ConvReference.Conv2d(x, weight, bias, stride, 1);
                using var actual = F.Conv2d(x, weight, bias, stride, 1);
                AssertClose(expected, actual, 63, $"strided input {x.ShapeString} s={stride}");
            }
    }

    [Fact]
    public void PackedWeightsAreCachedPerWeightTensor()
    {
        using var weight = Random(new Random(3), 4, 3, 3, 3);
        var first = ConvKernel.PackedFor(weight, MicroKernel.Best);
        Assert.Same(first, ConvKernel.PackedFor(weight, MicroKernel.Best));
        ConvKernel.Forget(weight);
        Assert.NotSame(first, ConvKernel.PackedFor(weight, MicroKernel.Best));
    }

    [Fact]
    public void DisposedWeightThrowsEvenWhenPacked()
    {
        using var x = Random(new Random(4), 1, 3, 5, 5);
        var weight = Random(new Random(4), 4, 3, 3, 3);
        F.Conv2d(x, weight).Dispose();
        weight.Dispose();
        Assert.Throws<ObjectDisposedException>(() => F.Conv2d(x, weight));
    }

    [Fact]
    public void ResultIsBitIdenticalForOneAndTwoThreads()
    {
        var shapes = from c in Gen.Choose(1, 24)
                     from o in Gen.Choose(1, 40)
                     from hw in Gen.Choose(3, 30)
                     from k in Gen.Elements(1, 3)
                     from stride in Gen.Elements(1, 2)
                     from seed in Gen.Choose(0, 1000)
                     select (c, o, hw, k, stride, seed);
        Prop.ForAll(shapes.ToArbitrary(), s =>
        {
            var rng = new Random(s.seed);
            using var x = Random(rng, 2, s.c, s.hw, s.hw + 3);
            using var weight = Random(rng, s.o, s.c, s.k, s.k);
            using var bias = Random(rng, s.o);
            return ThreadCounts.SameBits(() => F.Conv2d(x, weight, bias, s.stride, 1));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void BadShapesNameTheOpAndTheShapes()
    {
        using var x = Tensor.Zeros(1, 3, 8, 8);
        using var w = Tensor.Zeros(4, 5, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(x, w));
        Assert.Contains("F.Conv2d", e.Message);
        Assert.Contains("[1, 3, 8, 8]", e.Message);
        Assert.Contains("[4, 5, 3, 3]", e.Message);

        using var w3 = Tensor.Zeros(4, 3, 3, 3);
        using var bias = Tensor.Zeros(5);
        Assert.Contains("bias [5]", Assert.Throws<ArgumentException>(() => F.Conv2d(x, w3, bias)).Message);
        Assert.Contains("stride 0", Assert.Throws<ArgumentException>(() => F.Conv2d(x, w3, null, stride: 0)).Message);
        using var tiny = Tensor.Zeros(1, 3, 2, 2);
        Assert.Contains("smaller than kernel", Assert.Throws<ArgumentException>(() => F.Conv2d(tiny, w3)).Message);
    }
}
