namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, with leading dimensions.
/// This is the stable internal entry point every op calls; its implementation is the scalar reference
/// until the packed AVX2/FMA kernel replaces it.
/// </summary>
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    acc += av * bv;
                }
                float prev = beta == 0 ? 0 : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * acc) + prev;
            }
    }
}
