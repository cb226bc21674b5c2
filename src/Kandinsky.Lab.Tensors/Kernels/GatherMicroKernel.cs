using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The <see cref="MicroKernel"/> tiles with B read in place instead of from packed panels: for step k the NR
/// B values are two runs of V = NR/2 contiguous floats, at <c>b0 + offsets[k]</c> and <c>b1 + offsets[k]</c>.
/// A direct convolution points b0 and b1 at two runs of output positions in the (padded) input image, and
/// offsets[k] at the input element that reduction step k (channel, ky, kx) reads, so no im2col copy is made.
/// C row r is written at c + r·ldc (the b0 run in columns [0, V), the b1 run in [V, NR)). Each output element is
/// one FMA chain over k in order, the same chain as <see cref="MicroKernel.Run"/> on the packed im2col.
/// </summary>
internal static unsafe class GatherMicroKernel
{
    /// <summary>C[MR×NR] (+)= Σ_k A[k]·B[k] over <paramref name="steps"/> steps, A packed with lda = MR.</summary>
    public static void Run(MicroKernel kernel, int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate)
    {
        if (kernel == MicroKernel.Avx512) Avx512(steps, a, offsets, b0, b1, c, ldc, accumulate);
        else if (kernel == MicroKernel.Avx2) Avx2(steps, a, offsets, b0, b1, c, ldc, accumulate);
        else Portable(steps, a, offsets, b0, b1, c, ldc, accumulate, kernel.MR, kernel.NR / 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx512(int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (accumulate)
        {
            c00 = Vector512.Load(c + 0 * ldc); c01 = Vector512.Load(c + 0 * ldc + 16);
            c10 = Vector512.Load(c + 1 * ldc); c11 = Vector512.Load(c + 1 * ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
            c80 = Vector512.Load(c + 8 * ldc); c81 = Vector512.Load(c + 8 * ldc + 16);
            c90 = Vector512.Load(c + 9 * ldc); c91 = Vector512.Load(c + 9 * ldc + 16);
            c100 = Vector512.Load(c + 10 * ldc); c101 = Vector512.Load(c + 10 * ldc + 16);
            c110 = Vector512.Load(c + 11 * ldc); c111 = Vector512.Load(c + 11 * ldc + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = c100 = c101 = c110 = c111 = Vector512<float>.Zero;
        }
        for (int k = 0; k < steps; k++)
        {
            int o = offsets[k];
            var v0 = Vector512.Load(b0 + o);
            var v1 = Vector512.Load(b1 + o);
            Vector512<float> ak;
            ak = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(ak, v0, c00); c01 = Avx512F.FusedMultiplyAdd(ak, v1, c01);
            ak = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ak, v0, c10); c11 = Avx512F.FusedMultiplyAdd(ak, v1, c11);
            ak = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ak, v0, c20); c21 = Avx512F.FusedMultiplyAdd(ak, v1, c21);
            ak = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ak, v0, c30); c31 = Avx512F.FusedMultiplyAdd(ak, v1, c31);
            ak = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ak, v0, c40); c41 = Avx512F.FusedMultiplyAdd(ak, v1, c41);
            ak = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ak, v0, c50); c51 = Avx512F.FusedMultiplyAdd(ak, v1, c51);
            ak = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ak, v0, c60); c61 = Avx512F.FusedMultiplyAdd(ak, v1, c61);
            ak = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ak, v0, c70); c71 = Avx512F.FusedMultiplyAdd(ak, v1, c71);
            ak = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ak, v0, c80); c81 = Avx512F.FusedMultiplyAdd(ak, v1, c81);
            ak = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ak, v0, c90); c91 = Avx512F.FusedMultiplyAdd(ak, v1, c91);
            ak = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(ak, v0, c100); c101 = Avx512F.FusedMultiplyAdd(ak, v1, c101);
            ak = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(ak, v0, c110); c111 = Avx512F.FusedMultiplyAdd(ak, v1, c111);
            a += 12;
        }
        c00.Store(c + 0 * ldc); c01.Store(c + 0 * ldc + 16);
        c10.Store(c + 1 * ldc); c11.Store(c + 1 * ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
        c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
        c80.Store(c + 8 * ldc); c81.Store(c + 8 * ldc + 16);
        c90.Store(c + 9 * ldc); c91.Store(c + 9 * ldc + 16);
        c100.Store(c + 10 * ldc); c101.Store(c + 10 * ldc + 16);
        c110.Store(c + 11 * ldc); c111.Store(c + 11 * ldc + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Avx2(int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Vector256.Load(c + 0 * ldc); c01 = Vector256.Load(c + 0 * ldc + 8);
            c10 = Vector256.Load(c + 1 * ldc); c11 = Vector256.Load(c + 1 * ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        for (int k = 0; k < steps; k++)
        {
            int o = offsets[k];
            var v0 = Vector256.Load(b0 + o);
            var v1 = Vector256.Load(b1 + o);
            Vector256<float> ak;
            ak = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ak, v0, c00); c01 = Fma.MultiplyAdd(ak, v1, c01);
            ak = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ak, v0, c10); c11 = Fma.MultiplyAdd(ak, v1, c11);
            ak = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ak, v0, c20); c21 = Fma.MultiplyAdd(ak, v1, c21);
            ak = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ak, v0, c30); c31 = Fma.MultiplyAdd(ak, v1, c31);
            ak = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ak, v0, c40); c41 = Fma.MultiplyAdd(ak, v1, c41);
            ak = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ak, v0, c50); c51 = Fma.MultiplyAdd(ak, v1, c51);
            a += 6;
        }
        c00.Store(c + 0 * ldc); c01.Store(c + 0 * ldc + 8);
        c10.Store(c + 1 * ldc); c11.Store(c + 1 * ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    /// <summary>Scalar version of the same contract for any MR and V (the portable kernel's 4 × (2·4)).</summary>
    static void Portable(int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate, int mr, int v)
    {
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < 2 * v; j++)
            {
                float acc = accumulate ? c[r * ldc + j] : 0f;
                float* b = j < v ? b0 + j : b1 + j - v;
                for (int k = 0; k < steps; k++) acc = MathF.FusedMultiplyAdd(a[k * mr + r], b[offsets[k]], acc);
                c[r * ldc + j] = acc;
            }
    }
}
