using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Kandinsky.Lab.Tensors.Kernels.VectorMath;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// An elementwise unary function: a scalar reference computed in double (also the portable fallback) and a
/// 256-bit body.
/// </summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
}

internal readonly struct ExpOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)Math.Exp(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Exp(x);
}

internal readonly struct TanhOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)Math.Tanh(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Tanh(x);
}

internal readonly struct ErfOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)Activations.ErfReference(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Erf(x);
}

/// <summary>σ(x) = 1/(1 + e^−x).</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)(1 / (1 + Math.Exp(-(double)x)));
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));
}

/// <summary>SiLU: x·σ(x) = x/(1 + e^−x).</summary>
internal readonly struct SiluOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)(x / (1 + Math.Exp(-(double)x)));
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Exp(-x));
}

/// <summary>QuickGELU (CLIP): x·σ(1.702x).</summary>
internal readonly struct QuickGeluOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)(x / (1 + Math.Exp(-1.702 * x)));
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Exp(x * Vector256.Create(-1.702f)));
}

/// <summary>GELU, exact form: x·Φ(x) = ½x(1 + erf(x/√2)).</summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    public static float Invoke(float x) => (float)(0.5 * x * (1 + Activations.ErfReference(x / Math.Sqrt(2))));

    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var half = Vector256.Create(0.5f) * x;
        return MulAdd(half, Erf(x * Vector256.Create(0.707106781f)), half);
    }
}

/// <summary>GELU, tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
internal readonly struct GeluTanhOperator : IUnaryOperator
{
    public static float Invoke(float x)
    {
        double v = x;
        return (float)(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
    }

    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var inner = Vector256.Create(0.797884561f) * MulAdd(Vector256.Create(0.044715f) * x * x, x, x);
        var half = Vector256.Create(0.5f) * x;
        return MulAdd(half, Tanh(inner), half);
    }
}

internal static unsafe class Activations
{
    /// <summary>
    /// y = op(x) elementwise. Every element, tail included, goes through the same vector body (the tail via a
    /// padded stack buffer), so a value's result never depends on its position or on how the span was split.
    /// </summary>
    public static void Run<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IUnaryOperator
    {
        if (y.Length < x.Length) throw new ArgumentException("Activations.Run: destination is shorter than source.");
        if (!Vector256.IsHardwareAccelerated) { RunScalar<TOp>(x, y); return; }
        int n = x.Length, i = 0;
        fixed (float* xp = x, yp = y)
        {
            for (; i <= n - 16; i += 16)
            {
                TOp.Invoke(Vector256.Load(xp + i)).Store(yp + i);
                TOp.Invoke(Vector256.Load(xp + i + 8)).Store(yp + i + 8);
            }
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.Load(xp + i)).Store(yp + i);
            if (i < n) Tail<TOp>(xp + i, yp + i, n - i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail<TOp>(float* x, float* y, int count) where TOp : IUnaryOperator
    {
        float* buffer = stackalloc float[8];
        for (int k = 0; k < 8; k++) buffer[k] = k < count ? x[k] : 0f;
        TOp.Invoke(Vector256.Load(buffer)).Store(buffer);
        for (int k = 0; k < count; k++) y[k] = buffer[k];
    }

    /// <summary>The scalar references, element by element (the fallback without 256-bit vectors, and a test oracle).</summary>
    public static void RunScalar<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IUnaryOperator
    {
        for (int i = 0; i < x.Length; i++) y[i] = TOp.Invoke(x[i]);
    }

    /// <summary>erf in double precision: Maclaurin series below 2.5, the erfc continued fraction above.</summary>
    public static double ErfReference(double x)
    {
        double ax = Math.Abs(x);
        if (double.IsNaN(x)) return x;
        if (ax < 2.5)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        if (ax > 6) return Math.Sign(x);
        // erfc(a) = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + (3/2)/(a + …)))), evaluated bottom-up.
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + k / 2.0 / f;
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}
