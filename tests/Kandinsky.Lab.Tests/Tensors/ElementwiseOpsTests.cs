using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

public class ElementwiseOpsTests
{
    public static TheoryData<string> BinaryOps => new() { "Add", "Sub", "Mul", "Div", "Maximum", "Minimum" };

    static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "Add" => F.Add(a, b),
        "Sub" => F.Sub(a, b),
        "Mul" => F.Mul(a, b),
        "Div" => F.Div(a, b),
        "Maximum" => F.Maximum(a, b),
        _ => F.Minimum(a, b),
    };

    /// <summary>One IEEE float operation: the double result rounded once is the exact float result.</summary>
    static double Reference(string op, double a, double b) => op switch
    {
        "Add" => (float)(a + b),
        "Sub" => (float)(a - b),
        "Mul" => (float)(a * b),
        "Div" => (float)(a / b),
        "Maximum" => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
        _ => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
    };

    static void CheckBinary(string op, Tensor a, Tensor b)
    {
        var ad = a.ToArray();
        var bd = b.ToArray();
        var shape = Oracle.BroadcastShape(a.ShapeArray(), b.ShapeArray());
        var expected = new double[ShapeUtil.Count(shape)];
        for (long i = 0; i < expected.Length; i++)
        {
            var idx = Oracle.Unravel(i, shape);
            expected[i] = Reference(op, Oracle.Broadcast(ad, a.ShapeArray(), idx), Oracle.Broadcast(bd, b.ShapeArray(), idx));
        }
        using var y = Apply(op, a, b);
        Oracle.AssertShape(shape, y);
        Oracle.AssertClose(expected, y, 0, 0, $"F.{op}({a.ShapeString}, {b.ShapeString})");
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOpsMatchOracleForEveryInnerLength(string op)
    {
        var rng = new Random(1);
        for (int n = 0; n <= 64; n++)
        {
            foreach (var (sa, sb) in new (int[], int[])[] { ([3, n], [3, n]), ([3, n], [n]), ([3, n], [3, 1]), ([3, 1], [1, n]), ([n], [2, 1, n]) })
            {
                using var a = Oracle.Random(rng, sa);
                using var b = Oracle.Random(rng, sb);
                CheckBinary(op, a, b);
                CheckBinary(op, b, a);
            }
        }
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOpsBroadcastLikeNumPy(string op)
    {
        var rng = new Random(2);
        var cases = new (int[], int[])[]
        {
            ([2, 3, 4], [4]), ([2, 1, 4], [3, 1]), ([4, 1, 5, 6], [4, 1, 1]), ([], [2, 3]), ([5, 1], [1, 5]),
            ([2, 3, 1, 1], [2, 3, 7, 9]), ([2, 3, 40], [2, 1, 40]), ([1], [17]), ([2, 0, 3], [3]), ([2, 3, 4, 5], [1, 3, 1, 5]),
            ([40001], [40001]), ([3, 50001], [50001]),                 // few long rows: cut into pieces across threads
        };
        foreach (var (sa, sb) in cases)
        {
            using var a = Oracle.Random(rng, sa);
            using var b = Oracle.Random(rng, sb);
            CheckBinary(op, a, b);
            CheckBinary(op, b, a);
        }
    }

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOpsReadNonContiguousViews(string op)
    {
        var rng = new Random(3);
        using var baseA = Oracle.Random(rng, [4, 6, 33]);
        using var baseB = Oracle.Random(rng, [33, 6, 4]);
        using var permuted = baseB.Permute(2, 1, 0);            // [4, 6, 33], innermost stride 24
        using var sliced = baseA.Slice(2, 5, 30);                 // [4, 6, 25], rows not packed
        using var slicedB = permuted.Slice(2, 3, 28);
        using var column = Oracle.Random(rng, [4, 1, 1]);
        using var expanded = column.Expand(4, 6, 33);             // stride 0 everywhere but dim 0
        CheckBinary(op, baseA, permuted);
        CheckBinary(op, sliced, slicedB);
        CheckBinary(op, expanded, baseA);
        CheckBinary(op, permuted, expanded);
    }

    [Fact]
    public void MaximumAndMinimumPropagateNaN()
    {
        using var a = Tensor.FromArray([float.NaN, 1, 2, float.NaN, 5, 6, 7, 8, 9, float.NaN], 10);
        using var b = Tensor.FromArray([0, float.NaN, 3, float.NaN, 4, 7, 6, 9, 8, 1], 10);
        CheckBinary("Maximum", a, b);
        CheckBinary("Minimum", a, b);
    }

    [Fact]
    public void ScalarOpsMatchOracle()
    {
        var rng = new Random(4);
        for (int n = 0; n <= 40; n++)
        {
            using var x = Oracle.Random(rng, [2, n]);
            using var view = Oracle.AsPermutedView(x);
            foreach (var src in new[] { x, view })
            {
                var d = src.ToArray();
                using var add = F.Add(src, 1.5f);
                using var sub = F.Sub(src, 0.25f);
                using var mul = F.Mul(src, -3f);
                using var div = F.Div(src, 7f);
                Oracle.AssertClose(d.Select(v => (double)(float)(v + 1.5)).ToArray(), add, 0, 0, "Add scalar");
                Oracle.AssertClose(d.Select(v => (double)(float)(v - 0.25)).ToArray(), sub, 0, 0, "Sub scalar");
                Oracle.AssertClose(d.Select(v => (double)(float)(v * -3.0)).ToArray(), mul, 0, 0, "Mul scalar");
                Oracle.AssertClose(d.Select(v => (double)(float)(v / 7.0)).ToArray(), div, 0, 0, "Div scalar");
            }
        }
    }

    [Theory]
    [InlineData(2f)]
    [InlineData(0.5f)]
    [InlineData(-0.5f)]
    [InlineData(-1f)]
    [InlineData(1f)]
    [InlineData(3f)]
    [InlineData(-2f)]
    [InlineData(0f)]
    [InlineData(1.7f)]
    public void PowMatchesOracle(float exponent)
    {
        var rng = new Random(5);
        for (int n = 0; n <= 40; n++)
        {
            using var x0 = Oracle.Random(rng, [3, n]);
            using var abs = F.Abs(x0);
            using var positive = F.Add(abs, 0.1f);
            var x = exponent == MathF.Round(exponent) ? x0 : positive;      // integer powers of negative bases are defined
            using var y = F.Pow(x, exponent);
            Oracle.AssertClose(x.ToArray().Select(v => Math.Pow(v, exponent)).ToArray(), y, 2e-6, 0, $"Pow {exponent}");
        }
    }

    [Fact]
    public void WhereBroadcastsAllThreeAndTreatsNaNAsTrue()
    {
        var rng = new Random(6);
        foreach (var (sc, sa, sb) in new (int[], int[], int[])[] { ([2, 37], [2, 37], [2, 37]), ([37], [2, 1], [2, 37]), ([2, 1, 5], [3, 1], [5]), ([0], [0], [1]) })
        {
            using var c0 = Oracle.Random(rng, sc);
            using var zeroScalar = Tensor.Scalar(0f);
            using var c = F.Maximum(c0, zeroScalar);             // about half the conditions are 0
            using var a = Oracle.Random(rng, sa);
            using var b = Oracle.Random(rng, sb);
            var shape = Oracle.BroadcastShape(Oracle.BroadcastShape(sc, sa), sb);
            var cd = c.ToArray();
            var ad = a.ToArray();
            var bd = b.ToArray();
            var expected = new double[ShapeUtil.Count(shape)];
            for (int i = 0; i < expected.Length; i++)
            {
                var idx = Oracle.Unravel(i, shape);
                expected[i] = Oracle.Broadcast(cd, sc, idx) != 0 ? Oracle.Broadcast(ad, sa, idx) : Oracle.Broadcast(bd, sb, idx);
            }
            using var y = F.Where(c, a, b);
            Oracle.AssertShape(shape, y);
            Oracle.AssertClose(expected, y, 0, 0, "Where");
        }
        using var cond = Tensor.FromArray([float.NaN, 0, -0f, 1], 4);
        using var one = Tensor.Ones(4);
        using var zero = Tensor.Zeros(4);
        using var r = F.Where(cond, one, zero);
        Assert.Equal([1f, 0f, 0f, 1f], r.ToArray());
    }

    [Fact]
    public void InPlaceOpsUpdateTarget()
    {
        var rng = new Random(7);
        using var t = Oracle.Random(rng, [3, 4, 21]);
        using var bias = Oracle.Random(rng, [4, 1]);
        var before = t.ToArray();
        var bd = bias.ToArray();
        F.AddInPlace(t, bias);
        var expected = new double[before.Length];
        for (int i = 0; i < before.Length; i++) expected[i] = (float)(before[i] + bd[Oracle.Unravel(i, [3, 4, 21])[1]]);
        Oracle.AssertClose(expected, t, 0, 0, "AddInPlace");
        F.MulInPlace(t, 0.5f);
        Oracle.AssertClose(expected.Select(v => (double)(float)(v * 0.5)).ToArray(), t, 0, 0, "MulInPlace");
    }

    [Fact]
    public void InPlaceOpsOnLargeTensorsEqualTheirOutOfPlaceForms()
    {
        var rng = new Random(9);
        using var x = Oracle.Random(rng, [3, 50001]);
        using var row = Oracle.Random(rng, [50001]);
        using var added = F.Add(x, row);
        using var scaled = F.Mul(added, 0.7f);
        using var target = x.Clone();
        F.AddInPlace(target, row);
        Assert.Equal(added.ToArray(), target.ToArray());
        F.MulInPlace(target, 0.7f);
        Assert.Equal(scaled.ToArray(), target.ToArray());
    }

    [Fact]
    public void BadShapesNameTheOpAndBothShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4);
        var e = Assert.Throws<ArgumentException>(() => F.Add(a, b));
        Assert.StartsWith("F.Add", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.StartsWith("F.Mul", Assert.Throws<ArgumentException>(() => F.Mul(a, b)).Message);
        Assert.StartsWith("F.Maximum", Assert.Throws<ArgumentException>(() => F.Maximum(a, b)).Message);
        var w = Assert.Throws<ArgumentException>(() => F.Where(a, a, b));
        Assert.StartsWith("F.Where", w.Message);
        Assert.Contains("[4]", w.Message);
        using var wide = Tensor.Zeros(2, 2, 3);
        var inPlace = Assert.Throws<ArgumentException>(() => F.AddInPlace(a, wide));
        Assert.StartsWith("F.AddInPlace", inPlace.Message);
        Assert.Contains("[2, 2, 3]", inPlace.Message);
        using var t = a.Transpose(0, 1);
        Assert.StartsWith("F.MulInPlace", Assert.Throws<ArgumentException>(() => F.MulInPlace(t, 2)).Message);
    }

    [Fact]
    public void HalfPrecisionOperandsAreConverted()
    {
        using var a = Tensor.FromArray([1.5f, -2.25f, 3f], 3);
        using var h = a.ToFloat16();
        using var y = F.Add(a, h);
        Assert.Equal(DType.F32, y.DType);
        Assert.Equal([3f, -4.5f, 6f], y.ToArray());
    }
}
