using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Which micro-kernel the GEMM driver calls; all share the <see cref="GemmMicroKernel.MR"/>×<see cref="GemmMicroKernel.NR"/> panel layout.</summary>
internal enum GemmKernelKind { Scalar, Avx2Fma, Avx512 }

/// <summary>
/// Register-blocked micro-kernels: C[0..rows, 0..NR] (+)= Ā·B̄ over one packed A panel (kc × MR,
/// element (p, r) at a[p·MR + r]) and one packed B panel (kc × NR, element (p, j) at b[p·NR + j]).
/// Every output element is one FMA chain over p in order, then one add into C (or a store when
/// overwriting), so a tile gives the same bits
/// wherever it sits in the matrix, however the work is split between threads, and whichever SIMD kernel
/// (AVX-512 or AVX2) computes it.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of a micro-tile (broadcast A values): 12 rows of two zmm accumulators, or four 6×16 AVX2 passes.</summary>
    public const int MR = 12;
    /// <summary>
    /// Columns of a micro-tile: two zmm vectors. A 12×32 tile does 24 FMAs per 2 loads and 12 broadcasts; a 12×16
    /// tile's 12 broadcasts per 12 FMAs saturate the load ports at about 70% of the FMA peak.
    /// </summary>
    public const int NR = 32;
    /// <summary>Rows of the AVX2 kernel (12 ymm accumulators fit the 16 registers of an AVX2-only CPU).</summary>
    const int HalfMR = 6;
    /// <summary>Columns of the AVX2 kernel.</summary>
    const int HalfNR = 16;

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

    /// <summary>The first <paramref name="rows"/> rows of an MR × NR tile: half the work when rows ≤ 6 (the M tail).</summary>
    public static void RunRows(GemmKernelKind kind, int kc, float* a, float* b, float* c, nint ldc, bool overwrite, int rows)
    {
        switch (kind)
        {
            case GemmKernelKind.Avx512:
                if (rows <= HalfMR) Avx512Half(kc, a, b, c, ldc, overwrite);
                else Avx512(kc, a, b, c, ldc, overwrite);
                break;
            case GemmKernelKind.Avx2Fma:
                for (int r0 = 0; r0 < rows; r0 += HalfMR)
                    for (int j0 = 0; j0 < NR; j0 += HalfNR)
                        Avx2Fma(kc, a + r0, b + j0, c + r0 * ldc + j0, ldc, overwrite);
                break;
            default:
                Scalar(kc, a, b, c, ldc, overwrite, rows);
                break;
        }
    }

    /// <summary>12×32 tile in 24 zmm accumulators: per k, two B loads and twelve broadcasts feed 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        for (int r = 0; r < MR; r++) // the k loop hides the C tile's misses
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + NR - 1);
        }
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> ak;
            ak = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(ak, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ak, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ak, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ak, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ak, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ak, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ak, b1, c51);
            ak = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ak, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ak, b1, c61);
            ak = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ak, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ak, b1, c71);
            ak = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ak, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ak, b1, c81);
            ak = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ak, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ak, b1, c91);
            ak = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(ak, b0, c100); c101 = Avx512F.FusedMultiplyAdd(ak, b1, c101);
            ak = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(ak, b0, c110); c111 = Avx512F.FusedMultiplyAdd(ak, b1, c111);
            a += MR;
            b += NR;
        }
        Store(c + 0 * ldc, c00, c01, overwrite);
        Store(c + 1 * ldc, c10, c11, overwrite);
        Store(c + 2 * ldc, c20, c21, overwrite);
        Store(c + 3 * ldc, c30, c31, overwrite);
        Store(c + 4 * ldc, c40, c41, overwrite);
        Store(c + 5 * ldc, c50, c51, overwrite);
        Store(c + 6 * ldc, c60, c61, overwrite);
        Store(c + 7 * ldc, c70, c71, overwrite);
        Store(c + 8 * ldc, c80, c81, overwrite);
        Store(c + 9 * ldc, c90, c91, overwrite);
        Store(c + 10 * ldc, c100, c101, overwrite);
        Store(c + 11 * ldc, c110, c111, overwrite);
    }

    /// <summary>Rows 0–5 of a 12×32 tile (the M tail): 12 zmm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512Half(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadVector512(b);
            var b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> ak;
            ak = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(ak, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ak, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ak, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ak, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ak, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ak, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ak, b1, c51);
            a += MR;
            b += NR;
        }
        Store(c + 0 * ldc, c00, c01, overwrite);
        Store(c + 1 * ldc, c10, c11, overwrite);
        Store(c + 2 * ldc, c20, c21, overwrite);
        Store(c + 3 * ldc, c30, c31, overwrite);
        Store(c + 4 * ldc, c40, c41, overwrite);
        Store(c + 5 * ldc, c50, c51, overwrite);
    }

    /// <summary>
    /// 6×16 block (rows 0–5, columns 0–15 of the panels it is pointed at) in 12 ymm accumulators: two B loads and
    /// six broadcasts feed 12 FMAs. Four calls cover an MR × NR tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx2Fma(int kc, float* a, float* b, float* c, nint ldc, bool overwrite)
    {
        for (int r = 0; r < HalfMR; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + HalfNR - 1);
        }
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        Vector256<float> a0, b0, b1;
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            b0 = Avx.LoadVector256(b);
            b1 = Avx.LoadVector256(b + 8);
            a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            a0 = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(a0, b0, c40); c41 = Fma.MultiplyAdd(a0, b1, c41);
            a0 = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(a0, b0, c50); c51 = Fma.MultiplyAdd(a0, b1, c51);
            b0 = Avx.LoadVector256(b + NR);
            b1 = Avx.LoadVector256(b + NR + 8);
            a0 = Vector256.Create(a[MR + 0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Vector256.Create(a[MR + 1]); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Vector256.Create(a[MR + 2]); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Vector256.Create(a[MR + 3]); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            a0 = Vector256.Create(a[MR + 4]); c40 = Fma.MultiplyAdd(a0, b0, c40); c41 = Fma.MultiplyAdd(a0, b1, c41);
            a0 = Vector256.Create(a[MR + 5]); c50 = Fma.MultiplyAdd(a0, b0, c50); c51 = Fma.MultiplyAdd(a0, b1, c51);
            a += 2 * MR;
            b += 2 * NR;
        }
        for (; p < kc; p++)
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
        Store(c + 0 * ldc, c00, c01, overwrite);
        Store(c + 1 * ldc, c10, c11, overwrite);
        Store(c + 2 * ldc, c20, c21, overwrite);
        Store(c + 3 * ldc, c30, c31, overwrite);
        Store(c + 4 * ldc, c40, c41, overwrite);
        Store(c + 5 * ldc, c50, c51, overwrite);
    }

    /// <summary>C row = acc (overwrite: a tile's first K block) or C row + acc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector512<float> lo, Vector512<float> hi, bool overwrite)
    {
        Avx512F.Store(row, overwrite ? lo : Avx512F.Add(lo, Avx512F.LoadVector512(row)));
        Avx512F.Store(row + 16, overwrite ? hi : Avx512F.Add(hi, Avx512F.LoadVector512(row + 16)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector256<float> lo, Vector256<float> hi, bool overwrite)
    {
        Avx.Store(row, overwrite ? lo : Avx.Add(lo, Avx.LoadVector256(row)));
        Avx.Store(row + 8, overwrite ? hi : Avx.Add(hi, Avx.LoadVector256(row + 8)));
    }

    /// <summary>Portable fallback with the same panel layout: the first <paramref name="rows"/> rows.</summary>
    static void Scalar(int kc, float* a, float* b, float* c, nint ldc, bool overwrite, int rows)
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
                c[r * ldc + j] = overwrite ? acc[r * NR + j] : acc[r * NR + j] + c[r * ldc + j];
    }
}
