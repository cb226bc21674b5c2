using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>Random operands, the double-precision oracle and an error bound scaled by Σ|a|·|b|.</summary>
internal static unsafe class GemmTestData
{
    public static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>The oracle result and, per element, alpha·Σₚ|A[i,p]·B[p,j]| + |beta·C[i,j]| (the scale of rounding error).</summary>
    public static (float[] Expected, float[] Scale) Oracle(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var expected = (float[])c.Clone();
        var scale = (float[])c.Clone();
        var absA = Array.ConvertAll(a, MathF.Abs);
        var absB = Array.ConvertAll(b, MathF.Abs);
        for (int i = 0; i < scale.Length; i++) scale[i] = MathF.Abs(scale[i]);
        fixed (float* pa = a, pb = b, pe = expected, aa = absA, ab = absB, ps = scale)
        {
            GemmReference.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pe, ldc);
            GemmReference.Sgemm(transA, transB, m, n, k, MathF.Abs(alpha), aa, lda, ab, ldb, MathF.Abs(beta), ps, ldc);
        }
        return (expected, scale);
    }

    /// <summary>Every element within float32 rounding of a length-k dot product (a few ulp per term of the scale).</summary>
    public static void AssertClose(float[] expected, float[] scale, float[] actual, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float tolerance = (k + 4) * 2.5e-7f;
        for (int i = 0; i < expected.Length; i++)
        {
            float err = MathF.Abs(actual[i] - expected[i]);
            if (!(err <= tolerance * scale[i] + 1e-30f) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (error {err}, allowed {tolerance * scale[i]}).");
        }
    }
}
