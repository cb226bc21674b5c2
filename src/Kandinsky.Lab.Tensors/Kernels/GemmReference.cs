namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The naive GEMM kept beside the fast kernel as its test oracle (and the benchmark baseline for small
/// shapes): C = alpha·op(A)·op(B) + beta·C, row-major, accumulated in double.
/// </summary>
public static unsafe class GemmReference
{
    /// <summary>Same contract as <see cref="Gemm.Sgemm"/>; one dot product in double per output element.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                    float bv = transB ? b[(long)j * ldb + p] : b[(long)p * ldb + j];
                    acc += (double)av * bv;
                }
                double prev = beta == 0 ? 0 : (double)beta * c[(long)i * ldc + j];
                c[(long)i * ldc + j] = (float)(alpha * acc + prev);
            }
    }
}
