using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

public class ShapeOpsTests
{
    static Tensor Iota(params int[] shape) =>
        Tensor.FromArray(Enumerable.Range(0, (int)ShapeUtil.Count(shape)).Select(i => (float)i).ToArray(), shape);

    [Fact]
    public void CatMatchesOracleAlongEveryDimension()
    {
        var rng = new Random(31);
        for (int dim = -3; dim < 3; dim++)
        {
            int d = dim < 0 ? dim + 3 : dim;
            var sizes = new[] { 2, 0, 3 };
            var parts = sizes.Select(s => { var sh = new[] { 2, 3, 4 }; sh[d] = s; return Oracle.Random(rng, sh); }).ToList();
            using var viewPart = Oracle.AsPermutedView(parts[2]);
            var inputs = new List<Tensor> { parts[0], parts[1], viewPart };
            using var y = F.Cat(inputs, dim);
            var shape = new[] { 2, 3, 4 };
            shape[d] = 5;
            Oracle.AssertShape(shape, y);
            var expected = new double[ShapeUtil.Count(shape)];
            for (long i = 0; i < expected.Length; i++)
            {
                var idx = Oracle.Unravel(i, shape);
                int k = idx[d] < 2 ? 0 : 2;
                idx[d] -= k == 0 ? 0 : 2;
                var src = inputs[k];
                expected[i] = src.ToArray()[Oracle.Ravel(idx, src.ShapeArray())];
            }
            Oracle.AssertClose(expected, y, 0, 0, $"Cat dim {dim}");
            foreach (var p in parts) p.Dispose();
        }
    }

    [Fact]
    public void StackInsertsANewDimension()
    {
        using var a = Iota(2, 3);
        using var b = F.Add(a, 100f);
        using var h = b.ToFloat16();
        using var s0 = F.Stack([a, h], 0);
        using var s2 = F.Stack([a, b], -1);
        Oracle.AssertShape([2, 2, 3], s0);
        Oracle.AssertShape([2, 3, 2], s2);
        Assert.Equal(a[1, 2], s0[0, 1, 2]);
        Assert.Equal(b[1, 2], s0[1, 1, 2]);
        Assert.Equal(a[1, 0], s2[1, 0, 0]);
        Assert.Equal(b[1, 0], s2[1, 0, 1]);
    }

    [Fact]
    public void CatAndStackRejectMismatchedShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(2, 4);
        var e = Assert.Throws<ArgumentException>(() => F.Cat([a, b], 0));
        Assert.StartsWith("F.Cat", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[2, 4]", e.Message);
        using var fine = F.Cat([a, b], 1);
        Oracle.AssertShape([2, 7], fine);
        var s = Assert.Throws<ArgumentException>(() => F.Stack([a, b], 0));
        Assert.StartsWith("F.Stack", s.Message);
        Assert.Contains("[2, 4]", s.Message);
        Assert.StartsWith("F.Cat", Assert.Throws<ArgumentException>(() => F.Cat([], 0)).Message);
    }

    [Theory]
    [InlineData(1, 2, 3, 0)]
    [InlineData(0, 0, 0, 0)]
    [InlineData(-1, 2, 0, -2)]
    [InlineData(-2, -1, -1, 1)]
    [InlineData(3, -4, 2, 2)]
    public void PadMatchesOracle(int left, int right, int top, int bottom)
    {
        var rng = new Random(32);
        using var x0 = Oracle.Random(rng, [2, 3, 5, 6]);
        using var x = Oracle.AsPermutedView(x0);
        using var y = F.Pad(x, left, right, top, bottom, value: -7f);
        int oh = 5 + top + bottom, ow = 6 + left + right;
        Oracle.AssertShape([2, 3, oh, ow], y);
        var xd = x.ToArray();
        var expected = new double[2 * 3 * oh * ow];
        for (int i = 0; i < expected.Length; i++)
        {
            var idx = Oracle.Unravel(i, [2, 3, oh, ow]);
            int sy = idx[2] - top, sx = idx[3] - left;
            expected[i] = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? xd[Oracle.Ravel([idx[0], idx[1], sy, sx], [2, 3, 5, 6])] : -7;
        }
        Oracle.AssertClose(expected, y, 0, 0, $"Pad({left}, {right}, {top}, {bottom})");
    }

    [Fact]
    public void PadOfOneDimensionAndErrors()
    {
        using var x = Iota(4);
        using var y = F.Pad(x, 1, -2);
        Assert.Equal([0f, 0f, 1f], y.ToArray());
        var e = Assert.Throws<ArgumentException>(() => F.Pad(x, 0, 0, 1, 0));
        Assert.StartsWith("F.Pad", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.StartsWith("F.Pad", Assert.Throws<ArgumentException>(() => F.Pad(x, -3, -2)).Message);
    }

    [Fact]
    public void InterpolateNearestMatchesTorchExamples()
    {
        // torch.nn.functional.interpolate(torch.arange(5.).view(1, 1, 1, 5), size=(1, 3)) → [0, 1, 3]; 3 → 7 gives [0, 0, 0, 1, 1, 2, 2].
        using var row5 = Iota(1, 1, 1, 5);
        using var down = F.Interpolate(row5, 1, 3);
        Assert.Equal([0f, 1f, 3f], down.ToArray());
        using var row3 = Iota(1, 1, 1, 3);
        using var up7 = F.Interpolate(row3, 1, 7);
        Assert.Equal([0f, 0f, 0f, 1f, 1f, 2f, 2f], up7.ToArray());
        using var up6 = F.Interpolate(row3, 1, 6);
        Assert.Equal([0f, 0f, 1f, 1f, 2f, 2f], up6.ToArray());
    }

    [Theory]
    [InlineData(4, 4, 8, 8)]
    [InlineData(5, 3, 7, 11)]
    [InlineData(6, 6, 4, 3)]
    [InlineData(1, 1, 3, 2)]
    public void InterpolateNearestMatchesOracle(int h, int w, int oh, int ow)
    {
        var rng = new Random(33);
        using var x0 = Oracle.Random(rng, [2, 3, h, w]);
        using var x = Oracle.AsPermutedView(x0);
        using var y = F.Interpolate(x, oh, ow);
        var xd = x.ToArray();
        var expected = new double[2 * 3 * oh * ow];
        for (int i = 0; i < expected.Length; i++)
        {
            var idx = Oracle.Unravel(i, [2, 3, oh, ow]);
            expected[i] = xd[Oracle.Ravel([idx[0], idx[1], Source(idx[2], h, oh), Source(idx[3], w, ow)], [2, 3, h, w])];
        }
        Oracle.AssertClose(expected, y, 0, 0, "Interpolate");

        // floor(dst · (float)(in / out)) with the product rounded to float, clamped; exact for 1× and 2×.
        static int Source(int dst, int inSize, int outSize) =>
            Math.Min((int)Math.Floor((double)(float)(dst * (double)(float)((double)inSize / outSize))), inSize - 1);
    }

    [Theory]
    [InlineData(2, 2, 8, 8)]
    [InlineData(3, 2, 7, 9)]
    [InlineData(3, 3, 3, 5)]
    [InlineData(1, 1, 4, 4)]
    public void AvgPool2dMatchesOracle(int k, int s, int h, int w)
    {
        var rng = new Random(34);
        using var x = Oracle.Random(rng, [2, 3, h, w]);
        using var y = F.AvgPool2d(x, k, s);
        int oh = (h - k) / s + 1, ow = (w - k) / s + 1;
        Oracle.AssertShape([2, 3, oh, ow], y);
        var xd = x.ToArray();
        var expected = new double[2 * 3 * oh * ow];
        for (int i = 0; i < expected.Length; i++)
        {
            var idx = Oracle.Unravel(i, [2, 3, oh, ow]);
            double sum = 0;
            for (int dy = 0; dy < k; dy++)
                for (int dx = 0; dx < k; dx++)
                    sum += xd[Oracle.Ravel([idx[0], idx[1], idx[2] * s + dy, idx[3] * s + dx], [2, 3, h, w])];
            expected[i] = sum / (k * k);
        }
        Oracle.AssertClose(expected, y, 1e-6, 1e-7, "AvgPool2d");
        Assert.StartsWith("F.AvgPool2d", Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, h + 1, 1)).Message);
    }

    [Fact]
    public void RankAndSizeErrorsNameTheOpAndShape()
    {
        using var x3 = Tensor.Zeros(2, 3, 4);
        foreach (var (name, act) in new (string, Action)[]
        {
            ("F.Interpolate", () => F.Interpolate(x3, 4, 4)),
            ("F.AvgPool2d", () => F.AvgPool2d(x3, 5, 1)),
            ("F.Embedding", () => F.Embedding([0], [1], x3)),
            ("F.IndexSelect", () => F.IndexSelect(x3, 3, [0])),
            ("F.Cat", () => F.Cat([x3], 3)),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(act);
            Assert.StartsWith(name, e.Message);
            Assert.Contains("[2, 3, 4]", e.Message);
        }
        using var x4 = Tensor.Zeros(1, 1, 2, 2);
        Assert.StartsWith("F.Interpolate", Assert.Throws<ArgumentException>(() => F.Interpolate(x4, 0, 3)).Message);
    }

    [Fact]
    public void EmbeddingGathersRowsOfEveryDtype()
    {
        var rng = new Random(35);
        using var table = Oracle.Random(rng, [10, 6]);
        using var half = table.ToFloat16();
        using var halfAsF32 = half.ToFloat32();
        long[] ids = [3, 0, 9, 3, 7, 1];
        foreach (var (weight, reference) in new[] { (table, table), (half, halfAsF32) })
        {
            using var y = F.Embedding(ids, [2, 3], weight);
            Oracle.AssertShape([2, 3, 6], y);
            var rd = reference.ToArray();
            var expected = ids.SelectMany(id => rd.Skip((int)id * 6).Take(6)).Select(v => (double)v).ToArray();
            Oracle.AssertClose(expected, y, 0, 0, $"Embedding {weight.DType}");
        }
        var e = Assert.Throws<ArgumentException>(() => F.Embedding([1, 10], [2], table));
        Assert.StartsWith("F.Embedding", e.Message);
        Assert.Contains("10", e.Message);
        Assert.Contains("[10, 6]", e.Message);
        Assert.StartsWith("F.Embedding", Assert.Throws<ArgumentException>(() => F.Embedding([-1], [1], table)).Message);
        Assert.StartsWith("F.Embedding", Assert.Throws<ArgumentException>(() => F.Embedding([1, 2], [3], table)).Message);
    }

    [Fact]
    public void IndexSelectMatchesOracle()
    {
        var rng = new Random(36);
        using var x0 = Oracle.Random(rng, [4, 5, 6]);
        using var x = Oracle.AsPermutedView(x0);
        var xd = x.ToArray();
        long[] indices = [2, 0, 2, 3];
        for (int dim = 0; dim < 3; dim++)
        {
            var shape = new[] { 4, 5, 6 };
            shape[dim] = indices.Length;
            using var y = F.IndexSelect(x, dim - 3, indices);
            Oracle.AssertShape(shape, y);
            var expected = new double[ShapeUtil.Count(shape)];
            for (long i = 0; i < expected.Length; i++)
            {
                var idx = Oracle.Unravel(i, shape);
                idx[dim] = (int)indices[idx[dim]];
                expected[i] = xd[Oracle.Ravel(idx, [4, 5, 6])];
            }
            Oracle.AssertClose(expected, y, 0, 0, $"IndexSelect dim {dim}");
        }
        var e = Assert.Throws<ArgumentException>(() => F.IndexSelect(x, 1, [5]));
        Assert.StartsWith("F.IndexSelect", e.Message);
        Assert.Contains("[4, 5, 6]", e.Message);
    }

    [Fact]
    public void ArangeAndLinspaceFollowTorch()
    {
        using var a = F.Arange(5);
        Assert.Equal([0f, 1f, 2f, 3f, 4f], a.ToArray());
        using var e = F.Arange(0);
        Oracle.AssertShape([0], e);
        using var l = F.Linspace(0, 1, 5);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f, 1f], l.ToArray());
        using var one = F.Linspace(3, 9, 1);
        Assert.Equal([3f], one.ToArray());
        foreach (var (start, end, steps) in new[] { (-1f, 1f, 7), (0f, 999f, 1000), (0.1f, -2.3f, 33), (5f, 5f, 4) })
        {
            using var y = F.Linspace(start, end, steps);
            var v = y.ToArray();
            Assert.Equal(start, v[0]);
            Assert.Equal(end, v[^1]);                          // torch's symmetric formula hits both ends exactly
            Oracle.AssertClose(Enumerable.Range(0, steps).Select(i => start + (end - (double)start) * i / (steps - 1)).ToArray(), y, 1e-6, 1e-6, "Linspace");
        }
        Assert.StartsWith("F.Linspace", Assert.Throws<ArgumentException>(() => F.Linspace(0, 1, -1)).Message);
    }

    [Fact]
    public void LinspaceIsBitExactWithTorch()
    {
        // [float(v) for v in torch.linspace(start, end, steps)] with torch's serial CPU kernel (steps < 8).
        Assert.Equal([-1f, -0.6666666269302368f, -0.3333333134651184f, -2.9802322387695312e-08f, 0.3333333134651184f, 0.6666666269302368f, 1f], Values(-1f, 1f, 7));
        Assert.Equal([0.10000000149011612f, -0.4999999701976776f, -1.100000023841858f, -1.7000000476837158f, -2.299999952316284f], Values(0.1f, -2.3f, 5));
        Assert.Equal([0.0008500000112690032f, 0.0027083333116024733f, 0.004566666670143604f, 0.006425000261515379f, 0.008283333852887154f, 0.010141666978597641f, 0.012000000104308128f], Values(0.00085f, 0.012f, 7));
        Assert.Equal([-3.700000047683716f, -0.37999987602233887f, 2.940000295639038f, 6.2599992752075195f, 9.579999923706055f, 12.899999618530273f], Values(-3.7f, 12.9f, 6));
        Assert.Equal([9.999999747378752e-05f, 0.0034166667610406876f, 0.006733333226293325f, 0.010049999691545963f, 0.013366665691137314f, 0.01668333262205124f, 0.019999999552965164f], Values(1e-4f, 0.02f, 7));
        Assert.Equal([2.5f, -0.7000000476837158f, -3.8999998569488525f, -7.099999904632568f], Values(2.5f, -7.1f, 4));

        static float[] Values(float start, float end, int steps)
        {
            using var y = F.Linspace(start, end, steps);
            return y.ToArray();
        }
    }

    [Fact]
    public void InterpolateNearestIndexMapsMatchTorch()
    {
        // F.interpolate(torch.arange(float(i)).view(1, 1, 1, i), size=(1, o), mode="nearest").view(-1).long().tolist()
        Check(7, 3, [0, 2, 4]);
        Check(10, 13, [0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9]);
        Check(13, 10, [0, 1, 2, 3, 5, 6, 7, 9, 10, 11]);
        Check(6, 9, [0, 0, 1, 2, 2, 3, 4, 4, 5]);
        Check(17, 5, [0, 3, 6, 10, 13]);

        static void Check(int inSize, int outSize, float[] expected)
        {
            using var x = Iota(1, 1, inSize, 1);
            using var y = F.Interpolate(x, outSize, 1);
            Assert.Equal(expected, y.ToArray());
        }
    }
}
