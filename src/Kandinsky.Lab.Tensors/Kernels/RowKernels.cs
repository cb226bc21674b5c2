using System.Runtime.Intrinsics;
using static Kandinsky.Lab.Tensors.Kernels.VectorMath;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Kernels over one contiguous row: sums accumulated in double (floats widened lane by lane, so a row's
/// result depends only on the row), softmax and normalization bodies. Each SIMD loop sits under its scalar
/// reference; the scalar tail finishes the row.
/// </summary>
internal static unsafe class RowKernels
{
    // Σ x[i]
    public static double Sum(float* x, long n)
    {
        long i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var a0 = Vector256<double>.Zero;
            var a1 = Vector256<double>.Zero;
            var a2 = Vector256<double>.Zero;
            var a3 = Vector256<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var (l0, h0) = Vector256.Widen(Vector256.Load(x + i));
                var (l1, h1) = Vector256.Widen(Vector256.Load(x + i + 8));
                a0 += l0; a1 += h0; a2 += l1; a3 += h1;
            }
            for (; i <= n - 8; i += 8)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(x + i));
                a0 += l; a1 += h;
            }
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) s += x[i];
        return s;
    }

    // Σ (x[i] − m)²
    public static double SumSquaredDeviation(float* x, long n, float m)
    {
        long i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(m);
            var a0 = Vector256<double>.Zero;
            var a1 = Vector256<double>.Zero;
            var a2 = Vector256<double>.Zero;
            var a3 = Vector256<double>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var d0 = Vector256.Load(x + i) - vm;
                var d1 = Vector256.Load(x + i + 8) - vm;
                var (l0, h0) = Vector256.Widen(d0);
                var (l1, h1) = Vector256.Widen(d1);
                a0 += l0 * l0; a1 += h0 * h0; a2 += l1 * l1; a3 += h1 * h1;
            }
            for (; i <= n - 8; i += 8)
            {
                var (l, h) = Vector256.Widen(Vector256.Load(x + i) - vm);
                a0 += l * l; a1 += h * h;
            }
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++)
        {
            double d = x[i] - m;
            s += d * d;
        }
        return s;
    }

    /// <summary>
    /// Mean and 1/√(biased variance + eps) in double: the second pass measures deviations from the float mean
    /// (exact subtractions for nearby values) and removes the (mean − float mean)² bias exactly.
    /// </summary>
    public static (double Mean, double Rstd) Moments(float* x, long n, double eps)
    {
        double mean = Sum(x, n) / n;
        float meanF = (float)mean;
        double diff = mean - meanF;
        double variance = SumSquaredDeviation(x, n, meanF) / n - diff * diff;
        return (mean, 1 / Math.Sqrt(Math.Max(variance, 0) + eps));
    }

    // max x[i] (NaN handling is left to the callers' following arithmetic)
    public static float Max(float* x, int n)
    {
        int i = 0;
        float m = float.NegativeInfinity;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var vm = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - 8; i += 8) vm = Vector256.Max(vm, Vector256.Load(x + i));
            for (int k = 0; k < 8; k++) m = Math.Max(m, vm[k]);
        }
        for (; i < n; i++) m = Math.Max(m, x[i]);
        return m;
    }

    // y[i] = exp(x[i] − m); returns Σ y[i] in double
    public static double ExpShiftedSum(float* x, float* y, int n, float m)
    {
        int i = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var a0 = Vector256<double>.Zero;
            var a1 = Vector256<double>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = Exp(Vector256.Load(x + i) - vm);
                e.Store(y + i);
                var (l, h) = Vector256.Widen(e);
                a0 += l; a1 += h;
            }
            if (i < n)
            {
                // Tail through the same vector exp, padded with −∞ (which contributes e^−∞ = 0 to the sum).
                float* buffer = stackalloc float[8];
                for (int k = 0; k < 8; k++) buffer[k] = i + k < n ? x[i + k] : float.NegativeInfinity;
                var e = Exp(Vector256.Load(buffer) - vm);
                e.Store(buffer);
                for (int k = 0; i + k < n; k++) y[i + k] = buffer[k];
                var (l, h) = Vector256.Widen(e);
                a0 += l; a1 += h;
                i = n;
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            y[i] = (float)Math.Exp(x[i] - m);
            s += y[i];
        }
        return s;
    }

    // softmax(x)[i] = exp(x[i] − max) / Σ exp(x[j] − max)
    public static void Softmax(float* x, float* y, int n)
    {
        if (n == 0) return;
        float m = Max(x, n);
        double s = ExpShiftedSum(x, y, n, m);
        Scale(y, n, (float)(1 / s));
    }

    // log_softmax(x)[i] = x[i] − max − log Σ exp(x[j] − max)
    public static void LogSoftmax(float* x, float* y, int n)
    {
        if (n == 0) return;
        float m = Max(x, n);
        double s = ExpShiftedSum(x, y, n, m);
        float shift = (float)(m + Math.Log(s));
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(shift);
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) - vs).Store(y + i);
        }
        for (; i < n; i++) y[i] = x[i] - shift;
    }

    // y[i] *= a
    public static void Scale(float* y, long n, float a)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8) (Vector256.Load(y + i) * va).Store(y + i);
        }
        for (; i < n; i++) y[i] *= a;
    }

    // y[i] = x[i]·a + b
    public static void ScaleShift(float* x, float* y, long n, float a, float b)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - 16; i += 16)
            {
                MulAdd(Vector256.Load(x + i), va, vb).Store(y + i);
                MulAdd(Vector256.Load(x + i + 8), va, vb).Store(y + i + 8);
            }
            for (; i <= n - 8; i += 8) MulAdd(Vector256.Load(x + i), va, vb).Store(y + i);
        }
        for (; i < n; i++) y[i] = MulAdd(x[i], a, b);
    }

    // y[i] = (x[i] − mean)·rstd·w[i] + b[i]   (w, b may be null)
    public static void Normalize(float* x, float* y, int n, float mean, float rstd, float* w, float* b)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mean);
            var vr = Vector256.Create(rstd);
            for (; i <= n - 8; i += 8)
            {
                var v = (Vector256.Load(x + i) - vm) * vr;
                if (w != null) v *= Vector256.Load(w + i);
                if (b != null) v += Vector256.Load(b + i);
                v.Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float v = (x[i] - mean) * rstd;
            if (w != null) v *= w[i];
            if (b != null) v += b[i];
            y[i] = v;
        }
    }
}
