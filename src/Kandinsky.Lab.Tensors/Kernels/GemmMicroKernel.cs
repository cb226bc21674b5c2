using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Which micro-kernel the GEMM driver calls; all share the <see cref="GemmMicroKernel.MR"/>×<see cref="GemmMicroKernel.NR"/> panel layout.</summary>
internal enum GemmKernelKind { Scalar, Avx2Fma, Avx512 }

/// <summary>
/// Register-blocked micro-kernels: C[0..rows, 0..NR] (+)= alpha · Ā·B̄ over one packed A panel (kc × MR,
/// element (p, r) at a[p·MR + r]) and one packed B panel (kc × NR, element (p, j) at b[p·NR + j]).
/// Every output element is one FMA chain over p in order, then one FMA into C (or one multiply when
/// overwriting), so a tile gives the same bits
/// wherever it sits in the matrix, however the work is split between threads, and whichever SIMD kernel
/// (AVX-512 or AVX2) computes it.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of a micro-tile (broadcast A values): 12 zmm accumulators, or two 6-row AVX2 passes.</summary>
    public const int MR = 12;
    /// <summary>Columns of a micro-tile: one zmm or two ymm vectors.</summary>
    public const int NR = 16;
    /// <summary>Rows of the AVX2 kernel (12 ymm accumulators fit the 16 registers of an AVX2-only CPU).</summary>
    const int HalfMR = 6;

    /// <summary>The fastest kernel this CPU runs; the environment variable KANDINSKY_GEMM_KERNEL (scalar, avx2, avx512) can pick a slower one.</summary>
    public static readonly GemmKernelKind Best = Choose(Environment.GetEnvironmentVariable("KANDINSKY_GEMM_KERNEL"));

    static GemmKernelKind Choose(string? requested)
    {
        var best = Avx512F.IsSupported ? GemmKernelKind.Avx512
            : Fma.IsSupported && Avx2.IsSupported ? GemmKernelKind.Avx2Fma
            : GemmKernelKind.Scalar;
        var wanted = requested?.ToLowerInvariant() switch
        {
            "scalar" => GemmKernelKind.Scalar,
            "avx2" => GemmKernelKind.Avx2Fma,
            _ => best,
        };
        return wanted < best ? wanted : best;
    }

    /// <summary>A full MR × NR tile.</summary>
    public static void Run(GemmKernelKind kind, int kc, float* a, float* b, float* c, nint ldc, float alpha, bool overwrite)
    {
        switch (kind)
        {
            case GemmKernelKind.Avx512:
                Avx512(kc, a, b, c, ldc, alpha, overwrite);
                break;
            case GemmKernelKind.Avx2Fma:
                Avx2Fma(kc, a, b, c, ldc, alpha, overwrite);
                Avx2Fma(kc, a + HalfMR, b, c + HalfMR * ldc, ldc, alpha, overwrite);
                break;
            default:
                Scalar(kc, a, b, c, ldc, alpha, overwrite, MR);
                break;
        }
    }

    /// <summary>The first <paramref name="rows"/> rows of a tile (the M tail): half the work when rows ≤ 6.</summary>
    public static void RunRows(GemmKernelKind kind, int kc, float* a, float* b, float* c, nint ldc, float alpha, bool overwrite, int rows)
    {
        if (kind == GemmKernelKind.Scalar) Scalar(kc, a, b, c, ldc, alpha, overwrite, rows);
        else if (rows <= HalfMR) Avx2Fma(kc, a, b, c, ldc, alpha, overwrite);
        else Run(kind, kc, a, b, c, ldc, alpha, overwrite);
    }

    /// <summary>12×16 tile in 12 zmm accumulators: per k, one B load and twelve broadcasts feed 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512(int kc, float* a, float* b, float* c, nint ldc, float alpha, bool overwrite)
    {
        for (int r = 0; r < MR; r++) Sse.Prefetch0(c + r * ldc); // the k loop hides the C tile's misses
        Vector512<float> c0 = default;
        Vector512<float> c1 = default;
        Vector512<float> c2 = default;
        Vector512<float> c3 = default;
        Vector512<float> c4 = default;
        Vector512<float> c5 = default;
        Vector512<float> c6 = default;
        Vector512<float> c7 = default;
        Vector512<float> c8 = default;
        Vector512<float> c9 = default;
        Vector512<float> c10 = default;
        Vector512<float> c11 = default;
        Vector512<float> b0;
        for (int p = 0; p < kc; p++)
        {
            b0 = Avx512F.LoadVector512(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, c11);
            a += MR;
            b += NR;
        }
        var va = Vector512.Create(alpha);
        Store(c + 0 * ldc, c0, va, overwrite);
        Store(c + 1 * ldc, c1, va, overwrite);
        Store(c + 2 * ldc, c2, va, overwrite);
        Store(c + 3 * ldc, c3, va, overwrite);
        Store(c + 4 * ldc, c4, va, overwrite);
        Store(c + 5 * ldc, c5, va, overwrite);
        Store(c + 6 * ldc, c6, va, overwrite);
        Store(c + 7 * ldc, c7, va, overwrite);
        Store(c + 8 * ldc, c8, va, overwrite);
        Store(c + 9 * ldc, c9, va, overwrite);
        Store(c + 10 * ldc, c10, va, overwrite);
        Store(c + 11 * ldc, c11, va, overwrite);
    }

    /// <summary>6×16 tile (rows 0–5 of an MR-row panel) in 12 ymm accumulators: two B loads and six broadcasts feed 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx2Fma(int kc, float* a, float* b, float* c, nint ldc, float alpha, bool overwrite)
    {
        for (int r = 0; r < HalfMR; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + NR - 1);
        }
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
        Store(c + 0 * ldc, c00, c01, va, overwrite);
        Store(c + 1 * ldc, c10, c11, va, overwrite);
        Store(c + 2 * ldc, c20, c21, va, overwrite);
        Store(c + 3 * ldc, c30, c31, va, overwrite);
        Store(c + 4 * ldc, c40, c41, va, overwrite);
        Store(c + 5 * ldc, c50, c51, va, overwrite);
    }

    /// <summary>C row = alpha·acc (overwrite: the first K block when beta is 0) or C row + alpha·acc in one FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector512<float> acc, Vector512<float> alpha, bool overwrite) =>
        Avx512F.Store(row, overwrite ? Avx512F.Multiply(acc, alpha) : Avx512F.FusedMultiplyAdd(acc, alpha, Avx512F.LoadVector512(row)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector256<float> lo, Vector256<float> hi, Vector256<float> alpha, bool overwrite)
    {
        Avx.Store(row, overwrite ? Avx.Multiply(lo, alpha) : Fma.MultiplyAdd(lo, alpha, Avx.LoadVector256(row)));
        Avx.Store(row + 8, overwrite ? Avx.Multiply(hi, alpha) : Fma.MultiplyAdd(hi, alpha, Avx.LoadVector256(row + 8)));
    }

    /// <summary>Portable fallback with the same panel layout: the first <paramref name="rows"/> rows.</summary>
    static void Scalar(int kc, float* a, float* b, float* c, nint ldc, float alpha, bool overwrite, int rows)
    {
        float* acc = stackalloc float[MR * NR];
        new Span<float>(acc, MR * NR).Clear();
        for (int p = 0; p < kc; p++, a += MR, b += NR)
            for (int r = 0; r < rows; r++)
            {
                float ar = a[r];
                float* accRow = acc + r * NR;
                for (int j = 0; j < NR; j++) accRow[j] += ar * b[j];
            }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < NR; j++)
                c[r * ldc + j] = overwrite ? acc[r * NR + j] * alpha : MathF.FusedMultiplyAdd(acc[r * NR + j], alpha, c[r * ldc + j]);
    }
}
