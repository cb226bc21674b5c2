using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Which micro-kernel the GEMM driver calls; all share the <see cref="GemmMicroKernel.MR"/>×<see cref="GemmMicroKernel.NR"/> panel layout.</summary>
internal enum GemmKernelKind { Scalar, Avx2Fma }

/// <summary>
/// Register-blocked micro-kernels: C[0..MR, 0..NR] += alpha · Ā·B̄ over one packed A panel (kc × MR,
/// element (p, r) at a[p·MR + r]) and one packed B panel (kc × NR, element (p, j) at b[p·NR + j]).
/// Every output element is one FMA chain over p in order, then one FMA into C, so a tile gives the
/// same bits wherever it sits in the matrix and however the work is split between threads.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of a micro-tile (broadcast A values).</summary>
    public const int MR = 6;
    /// <summary>Columns of a micro-tile (two 8-float vectors).</summary>
    public const int NR = 16;

    public static readonly GemmKernelKind Best = Fma.IsSupported && Avx2.IsSupported ? GemmKernelKind.Avx2Fma : GemmKernelKind.Scalar;

    public static void Run(GemmKernelKind kind, int kc, float* a, float* b, float* c, nint ldc, float alpha)
    {
        if (kind == GemmKernelKind.Avx2Fma) Avx2Fma(kc, a, b, c, ldc, alpha);
        else Scalar(kc, a, b, c, ldc, alpha);
    }

    /// <summary>6×16 tile in 12 ymm accumulators: per k, two B loads and six broadcasts feed 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx2Fma(int kc, float* a, float* b, float* c, nint ldc, float alpha)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        Vector256<float> a0, b0, b1;
        for (int p = 0; p < kc; p++)
        {
            b0 = Avx.LoadVector256(b);
            b1 = Avx.LoadVector256(b + 8);
            a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            a0 = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(a0, b0, c40); c41 = Fma.MultiplyAdd(a0, b1, c41);
            a0 = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(a0, b0, c50); c51 = Fma.MultiplyAdd(a0, b1, c51);
            a += MR;
            b += NR;
        }
        var va = Vector256.Create(alpha);
        Store(c + 0 * ldc, c00, c01, va);
        Store(c + 1 * ldc, c10, c11, va);
        Store(c + 2 * ldc, c20, c21, va);
        Store(c + 3 * ldc, c30, c31, va);
        Store(c + 4 * ldc, c40, c41, va);
        Store(c + 5 * ldc, c50, c51, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha)
    {
        Avx.Store(row, Fma.MultiplyAdd(lo, alpha, Avx.LoadVector256(row)));
        Avx.Store(row + 8, Fma.MultiplyAdd(hi, alpha, Avx.LoadVector256(row + 8)));
    }

    /// <summary>Portable fallback with the same panel layout and per-element operation order.</summary>
    static void Scalar(int kc, float* a, float* b, float* c, nint ldc, float alpha)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < MR; r++)
            {
                float ar = a[r];
                float* accRow = acc + r * NR;
                for (int j = 0; j < NR; j++) accRow[j] += ar * b[j];
            }
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++)
                c[r * ldc + j] = MathF.FusedMultiplyAdd(acc[r * NR + j], alpha, c[r * ldc + j]);
    }
}
