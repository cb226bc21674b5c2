using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Float32 transcendental functions on 256-bit vectors (Exp also on 512-bit ones), each under the
/// double-precision scalar reference it approximates. Polynomials were fitted (least squares on Chebyshev nodes, coefficients rounded to float)
/// for this file; errors are about 1 ulp, measured against double math in the tests. TensorPrimitives is not
/// used for these: its float Exp returns 1.0000001 for e⁰ (≈2.4 ulp overall) and its Tanh loses ~1e-5
/// relative accuracy near 0, which softmax and GELU would inherit.
/// </summary>
internal static class VectorMath
{
    /// <summary>a·b + c, fused when the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>a·b + c, fused (AVX-512 implies FMA); only for CPUs where Vector512 is hardware accelerated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);

    /// <summary>a·b + c rounded like the vector <see cref="MulAdd(Vector256{float}, Vector256{float}, Vector256{float})"/>, for scalar tails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float a, float b, float c) => Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;

    // exp(x) = eˣ
    /// <summary>
    /// e^x: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by its degree-7 Taylor polynomial
    /// (truncation 5e-9 relative), 2^n applied in two halves so that results in the subnormal range and up to
    /// overflow come out right. e^0 is exactly 1; NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var c = Vector256.Min(Vector256.Max(x, Vector256.Create(-104f)), Vector256.Create(89f));
        var n = Vector256.Floor(MulAdd(c, Vector256.Create(1.44269504f), Vector256.Create(0.5f)));
        var r = MulAdd(n, Vector256.Create(-0.693359375f), c);
        r = MulAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1f / 5040);
        p = MulAdd(p, r, Vector256.Create(1f / 720));
        p = MulAdd(p, r, Vector256.Create(1f / 120));
        p = MulAdd(p, r, Vector256.Create(1f / 24));
        p = MulAdd(p, r, Vector256.Create(1f / 6));
        p = MulAdd(p, r, Vector256.Create(0.5f));
        p = MulAdd(p, r, Vector256<float>.One);
        p = MulAdd(p, r, Vector256<float>.One);
        var ni = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(half + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - half + bias, 23).AsSingle();
        var result = p * s1 * s2;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary><see cref="Exp(Vector256{float})"/> on 512-bit vectors, step for step (same results lane by lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var c = Vector512.Min(Vector512.Max(x, Vector512.Create(-104f)), Vector512.Create(89f));
        var n = Vector512.Floor(MulAdd(c, Vector512.Create(1.44269504f), Vector512.Create(0.5f)));
        var r = MulAdd(n, Vector512.Create(-0.693359375f), c);
        r = MulAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1f / 5040);
        p = MulAdd(p, r, Vector512.Create(1f / 720));
        p = MulAdd(p, r, Vector512.Create(1f / 120));
        p = MulAdd(p, r, Vector512.Create(1f / 24));
        p = MulAdd(p, r, Vector512.Create(1f / 6));
        p = MulAdd(p, r, Vector512.Create(0.5f));
        p = MulAdd(p, r, Vector512<float>.One);
        p = MulAdd(p, r, Vector512<float>.One);
        var ni = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(half + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(ni - half + bias, 23).AsSingle();
        var result = p * s1 * s2;
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    // erf(x) = 2/√π ∫₀ˣ e^(−t²) dt
    /// <summary>
    /// erf: x·P(x²) for |x| &lt; 1; 1 − e^Q(|x|) with Q ≈ ln erfc on [1, 4] (erfc(4) is below half an ulp of 1,
    /// so larger |x| is clamped to 4 and gives exactly ±1). Relative error about 1e-7 over the whole range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var x2 = x * x;
        var p = Vector256.Create(7.933493907330558e-05f);
        p = MulAdd(p, x2, Vector256.Create(-0.0008034846396185458f));
        p = MulAdd(p, x2, Vector256.Create(0.005191218573600054f));
        p = MulAdd(p, x2, Vector256.Create(-0.02685539983212948f));
        p = MulAdd(p, x2, Vector256.Create(0.11283625662326813f));
        p = MulAdd(p, x2, Vector256.Create(-0.3761262893676758f));
        p = MulAdd(p, x2, Vector256.Create(0.12837916709551257f));   // 2/√π − 1: x + x·(P − 1) keeps the leading term exact
        var small = MulAdd(x, p, x);

        var t = (Vector256.Min(ax, Vector256.Create(4f)) - Vector256.Create(2.5f)) * Vector256.Create(1f / 1.5f);
        var q = Vector256.Create(-2.530671736167278e-06f);
        q = MulAdd(q, t, Vector256.Create(4.1366634832229465e-05f));
        q = MulAdd(q, t, Vector256.Create(-0.00022170940064825118f));
        q = MulAdd(q, t, Vector256.Create(0.0008815708570182323f));
        q = MulAdd(q, t, Vector256.Create(-0.003194743301719427f));
        q = MulAdd(q, t, Vector256.Create(0.010961123742163181f));
        q = MulAdd(q, t, Vector256.Create(-0.03664631024003029f));
        q = MulAdd(q, t, Vector256.Create(-2.12376070022583f));
        q = MulAdd(q, t, Vector256.Create(-8.029021263122559f));
        q = MulAdd(q, t, Vector256.Create(-7.806815147399902f));
        var large = Vector256<float>.One - Exp(q);
        large |= x & Vector256.Create(-0f);                     // copy the sign of x
        var result = Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256<float>.One), small, large);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    // tanh(x) = (e^x − e^−x) / (e^x + e^−x)
    /// <summary>tanh: x + x³·P(x²) for |x| &lt; 0.625, else ±(1 − 2/(e^(2|x|) + 1)) (exactly ±1 once e^(2|x|) overflows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var x2 = x * x;
        var p = Vector256.Create(0.0023141561541706324f);
        p = MulAdd(p, x2, Vector256.Create(-0.008365856483578682f));
        p = MulAdd(p, x2, Vector256.Create(0.021776918321847916f));
        p = MulAdd(p, x2, Vector256.Create(-0.053960494697093964f));
        p = MulAdd(p, x2, Vector256.Create(0.13333310186862946f));
        p = MulAdd(p, x2, Vector256.Create(-0.3333333432674408f));
        var small = MulAdd(x * x2, p, x);
        var large = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        large |= x & Vector256.Create(-0f);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large);
    }
}
