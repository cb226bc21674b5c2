using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

/// <summary>Naive double-precision references and comparison helpers for the functional-op tests.</summary>
internal static class Oracle
{
    public static Tensor Random(Random rng, int[] shape, float scale = 2f)
    {
        var data = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Row-major multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static int[] Unravel(long flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = (int)(flat % shape[d]);
            flat /= shape[d];
        }
        return idx;
    }

    public static long Ravel(int[] idx, int[] shape)
    {
        long flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + idx[d];
        return flat;
    }

    /// <summary>Value of a row-major array of shape <paramref name="shape"/> at output index <paramref name="outIdx"/> under NumPy broadcasting.</summary>
    public static double Broadcast(float[] data, int[] shape, int[] outIdx)
    {
        int lead = outIdx.Length - shape.Length;
        long flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[d + lead]);
        return data[flat];
    }

    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere (NaN must match NaN), printing maxdiff and the first mismatch.</summary>
    public static void AssertClose(double[] expected, Tensor actual, double rtol = 1e-6, double atol = 1e-6, string what = "")
    {
        var got = actual.ToArray();
        Assert.True(expected.Length == got.Length, $"{what}: {got.Length} elements, expected {expected.Length}");
        double maxDiff = 0;
        int first = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double e = expected[i], g = got[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(g)
                : double.IsInfinity(e) ? e == g
                : Math.Abs(g - e) <= atol + rtol * Math.Abs(e);
            if (!double.IsNaN(e) && !double.IsInfinity(e)) maxDiff = Math.Max(maxDiff, Math.Abs(g - e));
            if (!ok && first < 0) first = i;
        }
        Assert.True(first < 0, first < 0 ? "" : $"{what}: element {first} is {got[first]:R}, expected {expected[first]:R} (maxdiff {maxDiff:E3}, shape {actual.ShapeString})");
    }

    public static void AssertShape(int[] expected, Tensor actual) => Assert.Equal(expected, actual.ShapeArray());

    /// <summary>The same values as <paramref name="t"/> laid out as a non-contiguous view: stored transposed, read through a permutation.</summary>
    public static Tensor AsPermutedView(Tensor t)
    {
        if (t.Rank < 2) return t.Alias();
        using var swapped = t.Transpose(-1, -2);
        using var stored = swapped.Contiguous();
        return stored.Transpose(-1, -2);
    }

    /// <summary>erf by composite Gauss–Legendre quadrature of 2/√π·e^(−t²) — independent of the kernels' series and polynomials.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        if (Math.Abs(x) > 8) return Math.Sign(x);
        // 5-point Gauss–Legendre on 64 panels: error far below 1e-15 for this smooth integrand.
        ReadOnlySpan<double> nodes = [0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640, 0.9061798459386640];
        ReadOnlySpan<double> weights = [0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891, 0.2369268850561891];
        const int panels = 64;
        double h = x / panels, sum = 0;
        for (int p = 0; p < panels; p++)
        {
            double mid = (p + 0.5) * h;
            for (int k = 0; k < 5; k++)
            {
                double t = mid + nodes[k] * h / 2;
                sum += weights[k] * Math.Exp(-t * t);
            }
        }
        return sum * h / 2 * 2 / Math.Sqrt(Math.PI);
    }
}
