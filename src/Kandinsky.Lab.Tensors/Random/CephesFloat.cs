namespace Kandinsky.Lab.Tensors;

/// <summary>
/// Single-precision log and sin/cos as PyTorch's AVX2 <c>normal_fill</c> computes them (Cephes' <c>logf</c> and
/// <c>sincosf</c> reductions and polynomials, vectorised in ATen's <c>avx_mathfun.h</c>), evaluated one lane at a
/// time with the same operation order, so <see cref="TorchGenerator"/> reproduces those draws bit for bit
/// instead of within an ulp. Valid for the generator's inputs: log of (0, 1], sin/cos of [0, 2π).
/// PyTorch's x86 builds let GCC contract a multiply feeding an add into one FMA (the first such multiply in
/// statement order wins); <see cref="MulAdd"/> marks exactly those places — with separate roundings about 0.5 %
/// of the draws differ in the last bit, with these every recorded draw matches.
/// </summary>
static class CephesFloat
{
    static float MulAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    const float SqrtHalf = 0.707106781186547524f;
    const float LogQ1 = -2.12194440e-4f, LogQ2 = 0.693359375f;
    static readonly float[] LogP =
    [
        7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f, 1.4249322787E-1f,
        -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f,
    ];

    /// <summary>Natural log of a positive normal float.</summary>
    public static float Log(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        float e = (float)((bits >>> 23) - 127) + 1f;
        // Mantissa scaled into [0.5, 1).
        float m = BitConverter.Int32BitsToSingle((bits & ~0x7F800000) | 0x3F000000);
        float f;
        if (m < SqrtHalf)
        {
            e -= 1f;
            f = (m - 1f) + m;
        }
        else f = m - 1f;
        float z = f * f;
        float y = LogP[0];
        for (int i = 1; i < LogP.Length; i++) y = MulAdd(y, f, LogP[i]);
        y *= f;
        y = MulAdd(y, z, e * LogQ1);
        y = MulAdd(-z, 0.5f, y);
        f += y;
        return MulAdd(e, LogQ2, f);
    }

    const float FourOverPi = 1.27323954473516f;
    const float MinusDp1 = -0.78515625f, MinusDp2 = -2.4187564849853515625e-4f, MinusDp3 = -3.77489497744594108e-8f;
    const float SinP0 = -1.9515295891E-4f, SinP1 = 8.3321608736E-3f, SinP2 = -1.6666654611E-1f;
    const float CosP0 = 2.443315711809948E-005f, CosP1 = -1.388731625493765E-003f, CosP2 = 4.166664568298827E-002f;

    /// <summary>Sine and cosine of a non-negative angle.</summary>
    public static (float Sin, float Cos) SinCos(float x)
    {
        // Octant j rounded up to even, and x reduced to [-π/4, π/4] in three steps ("extended precision modular arithmetic").
        int j = (int)(x * FourOverPi);
        j = (j + 1) & ~1;
        float y = j;
        x = MulAdd(y, MinusDp1, x);
        x = MulAdd(y, MinusDp2, x);
        x = MulAdd(y, MinusDp3, x);
        bool negateSin = (j & 4) != 0;
        bool negateCos = (~(j - 2) & 4) != 0;
        bool sinFromSinPoly = (j & 2) == 0;

        float z = x * x;
        float c = CosP0;
        c = MulAdd(c, z, CosP1);
        c = MulAdd(c, z, CosP2);
        c *= z;
        c = MulAdd(c, z, -(z * 0.5f));
        c += 1f;

        float s = SinP0;
        s = MulAdd(s, z, SinP1);
        s = MulAdd(s, z, SinP2);
        s *= z;
        s = MulAdd(s, x, x);

        float sin = sinFromSinPoly ? s : c;
        float cos = sinFromSinPoly ? c : s;
        return (negateSin ? -sin : sin, negateCos ? -cos : cos);
    }
}
