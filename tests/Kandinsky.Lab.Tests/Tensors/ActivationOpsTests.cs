using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tests.Tensors;

public class ActivationOpsTests
{
    /// <summary>Op, double reference, input range, rtol, atol.</summary>
    static readonly Dictionary<string, (Func<Tensor, Tensor> Op, Func<double, double> Reference, double Lo, double Hi, double Rtol, double Atol)> Unary = new()
    {
        ["Neg"] = (F.Neg, x => -x, -5, 5, 0, 0),
        ["Abs"] = (F.Abs, Math.Abs, -5, 5, 0, 0),
        ["Exp"] = (F.Exp, Math.Exp, -20, 20, 1e-6, 0),
        ["Log"] = (F.Log, Math.Log, 1e-4, 100, 1e-6, 1e-7),
        ["Sqrt"] = (F.Sqrt, Math.Sqrt, 0, 100, 1e-6, 0),
        ["Rsqrt"] = (F.Rsqrt, x => 1 / Math.Sqrt(x), 1e-3, 100, 1e-6, 0),
        ["Cos"] = (F.Cos, Math.Cos, -10, 10, 1e-6, 1e-7),
        ["Sin"] = (F.Sin, Math.Sin, -10, 10, 1e-6, 1e-7),
        ["Tanh"] = (F.Tanh, Math.Tanh, -10, 10, 1e-6, 1e-7),
        ["Erf"] = (F.Erf, Oracle.Erf, -6, 6, 1e-6, 0),
        ["Sigmoid"] = (F.Sigmoid, x => 1 / (1 + Math.Exp(-x)), -30, 30, 1e-6, 0),
        ["Silu"] = (F.Silu, x => x / (1 + Math.Exp(-x)), -30, 30, 1e-6, 1e-7),
        ["QuickGelu"] = (F.QuickGelu, x => x / (1 + Math.Exp(-1.702 * x)), -20, 20, 1e-6, 1e-7),
        ["Gelu"] = (x => F.Gelu(x), x => 0.5 * x * (1 + Oracle.Erf(x / Math.Sqrt(2))), -8, 8, 1e-6, 5e-7),
        ["GeluTanh"] = (x => F.Gelu(x, "tanh"), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), -8, 8, 1e-6, 5e-7),
        ["ClampBoth"] = (x => F.Clamp(x, -1, 2), x => Math.Min(Math.Max(x, -1), 2), -5, 5, 0, 0),
        ["ClampMin"] = (x => F.Clamp(x, min: 0.5f), x => Math.Max(x, 0.5), -5, 5, 0, 0),
        ["ClampMax"] = (x => F.Clamp(x, max: 0.5f), x => Math.Min(x, 0.5), -5, 5, 0, 0),
    };

    public static TheoryData<string> UnaryNames => new(Unary.Keys);

    static Tensor Uniform(Random rng, int[] shape, double lo, double hi)
    {
        var data = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return Tensor.FromArray(data, shape);
    }

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void UnaryOpMatchesDoubleOracleForEveryLength(string name)
    {
        var (op, reference, lo, hi, rtol, atol) = Unary[name];
        var rng = new Random(name.GetHashCode() & 0xFFFF);
        for (int n = 0; n <= 70; n++)
        {
            using var x = Uniform(rng, [n], lo, hi);
            using var y = op(x);
            Oracle.AssertShape([n], y);
            Oracle.AssertClose(x.ToArray().Select(v => reference(v)).ToArray(), y, rtol, atol, $"{name} length {n}");
        }
        // A large tensor runs the parallel blocks, a transposed view the strided gather.
        using var big = Uniform(rng, [3, 41, 211], lo, hi);
        using var bigY = op(big);
        Oracle.AssertClose(big.ToArray().Select(v => reference(v)).ToArray(), bigY, rtol, atol, $"{name} [3, 41, 211]");
        using var view = Oracle.AsPermutedView(big);
        using var viewY = op(view);
        Oracle.AssertClose(view.ToArray().Select(v => reference(v)).ToArray(), viewY, rtol, atol, $"{name} permuted view");
    }

    [Fact]
    public void ErfIsAccurateOverItsWholeRange()
    {
        // Dense sweep including tiny and subnormal-adjacent magnitudes where only a relative bound is meaningful.
        var xs = new List<float>();
        for (int e = -40; e <= 2; e++)
            foreach (var m in new[] { 1.0, 1.37, 2.5, 3.9, 6.1, 8.7 })
                xs.Add((float)(m * Math.Pow(2, e)));
        for (double v = 0; v < 5; v += 1.0 / 512) xs.Add((float)v);
        var all = xs.Concat(xs.Select(v => -v)).ToArray();
        using var x = Tensor.FromArray(all, all.Length);
        using var y = F.Erf(x);
        Oracle.AssertClose(all.Select(v => Oracle.Erf(v)).ToArray(), y, 1e-6, 0, "Erf sweep");
    }

    [Fact]
    public void SpecialValuesFollowTorch()
    {
        using var x = Tensor.FromArray([float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0f, -0f], 5);
        AssertValues([-1, 1, float.NaN, 0, 0], F.Erf(x));
        AssertValues([-1, 1, float.NaN, 0, 0], F.Tanh(x));
        AssertValues([0, float.PositiveInfinity, float.NaN, 1, 1], F.Exp(x));
        AssertValues([0, 1, float.NaN, 0.5f, 0.5f], F.Sigmoid(x));
        AssertValues([-1, 1, float.NaN, 0, 0], F.Clamp(x, -1, 1));

        static void AssertValues(float[] expected, Tensor actual)
        {
            using (actual) Assert.Equal(expected, actual.ToArray());
        }
    }

    /// <summary>The scalar references are the portable fallback: they must match the oracle too, and the vector bodies must stay within a few ulps of them.</summary>
    [Fact]
    public void ScalarFallbackMatchesOracleAndVectorBody()
    {
        var rng = new Random(8);
        var x = Enumerable.Range(0, 4000).Select(_ => (float)(rng.NextDouble() * 16 - 8)).ToArray();
        Check<ExpOperator>(Math.Exp, 1e-6, 0);
        Check<TanhOperator>(Math.Tanh, 1e-6, 1e-7);
        Check<ErfOperator>(Oracle.Erf, 1e-6, 0);
        Check<SigmoidOperator>(v => 1 / (1 + Math.Exp(-v)), 1e-6, 0);
        Check<SiluOperator>(v => v / (1 + Math.Exp(-v)), 1e-6, 1e-7);
        Check<QuickGeluOperator>(v => v / (1 + Math.Exp(-1.702 * v)), 1e-6, 1e-7);
        Check<GeluOperator>(v => 0.5 * v * (1 + Oracle.Erf(v / Math.Sqrt(2))), 1e-6, 5e-7);
        Check<GeluTanhOperator>(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), 1e-6, 5e-7);

        void Check<TOp>(Func<double, double> reference, double rtol, double atol) where TOp : IUnaryOperator
        {
            var scalar = new float[x.Length];
            var vector = new float[x.Length];
            Activations.RunScalar<TOp>(x, scalar);
            Activations.Run<TOp>(x, vector);
            var expected = x.Select(v => reference(v)).ToArray();
            using var s = Tensor.FromArray(scalar, x.Length);
            using var v = Tensor.FromArray(vector, x.Length);
            Oracle.AssertClose(expected, s, rtol, atol, $"{typeof(TOp).Name} scalar");
            Oracle.AssertClose(scalar.Select(f => (double)f).ToArray(), v, 1e-6, atol, $"{typeof(TOp).Name} vector vs scalar");
        }
    }

    [Fact]
    public void GeluRejectsUnknownApproximation()
    {
        using var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => F.Gelu(x, "erf"));
        Assert.StartsWith("F.Gelu", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.StartsWith("F.Clamp", Assert.Throws<ArgumentException>(() => F.Clamp(x)).Message);
    }
}
