namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Span kernels for activations that TensorPrimitives does not provide.</summary>
internal static class Activations
{
    public static void Erf(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)ErfReference(x[i]);
    }

    /// <summary>GELU, exact form: x·Φ(x) = ½x(1 + erf(x/√2)).</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1 + ErfReference(x[i] / Math.Sqrt(2))));
    }

    /// <summary>GELU, tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
        }
    }

    /// <summary>SiLU: x·σ(x).</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] / (1 + Math.Exp(-(double)x[i])));
    }

    /// <summary>QuickGELU (CLIP): x·σ(1.702x).</summary>
    public static void QuickGelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] / (1 + Math.Exp(-1.702 * x[i])));
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
        // erfc(a) = exp(−a²)/√π · 1/(a + ½/(a + 1/(a + 3/2/(a + 2/(a + …))))), evaluated bottom-up.
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + k / 2.0 / f;
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return Math.Sign(x) * (1 - erfc);
    }
}
