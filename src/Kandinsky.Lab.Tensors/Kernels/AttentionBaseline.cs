using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Unfused attention — matmul, softmax, matmul with the [B, H, Lq, Lk] scores materialised — built from the
/// same micro-kernel and packing as the fused <see cref="AttentionKernel"/>. It is the baseline the fused kernel
/// is measured against (`kandinsky-lab bench attention`) and a second opinion in tests.
/// </summary>
public static unsafe class AttentionBaseline
{
    /// <summary>Same contract as <see cref="F.ScaledDotProductAttention"/>.</summary>
    public static Tensor Unfused(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, bool isCausal = false, float? scale = null)
    {
        using var mask = F.ValidateAttention(query, key, value, attnMask, out float s, scale);
        return Unfused(new AttentionOperands(query, key, value, mask, isCausal, s), MicroKernel.Best);
    }

    /// <summary>Query rows per task (a multiple of every kernel's MR).</summary>
    const int MB = 96;

    /// <summary>This thread's A panels (a block of queries or of score rows).</summary>
    [ThreadStatic] static float[]? t_panels;

    internal static Tensor Unfused(in AttentionOperands op, MicroKernel kernel)
    {
        var y = Tensor.Empty(op.Batch, op.Heads, op.Lq, op.Dv);
        if (y.Count == 0) return y;
        int mr = kernel.MR, nr = kernel.NR, pairs = op.Pairs, lq = op.Lq, lk = op.Lk, d = op.D, dv = op.Dv;
        int ldS = Math.Max(AttentionKernel.RoundUp(lk, nr), nr), dvPad = AttentionKernel.RoundUp(dv, nr), rowBlocks = (lq + MB - 1) / MB;
        long ktSize = (long)ldS * d, vSize = (long)dvPad * lk;
        using var scores = Tensor.Empty(pairs, lq, ldS);
        long packBytes = pairs * (ktSize + vSize) * sizeof(float);
        float* packs = (float*)NativeBlockPool.Rent(packBytes); // the same allocator as the fused kernel: no handicap
        float* sp = scores.Data, yp = y.Data;
        var o = op;
        try
        {
            // Kᵀ and V as B panels, once per (batch, head).
            Parallelism.For(pairs, pair =>
            {
                PackPanels.B(packs + pair * (ktSize + vSize), o.KOf(pair), lk, o.KStrides[2], d, o.KStrides[3], nr, ldS);
                PackPanels.B(packs + pair * (ktSize + vSize) + ktSize, o.VOf(pair), dv, o.VStrides[3], lk, o.VStrides[2], nr);
            });
            // 1. S = Q·Kᵀ
            Parallelism.For(pairs * rowBlocks, task =>
            {
                int pair = task / rowBlocks, r0 = task % rowBlocks * MB, rows = Math.Min(MB, lq - r0);
                float* a = ThreadScratch.Get(ref t_panels, (long)MB * d);
                PackPanels.A(a, o.QOf(pair) + r0 * o.QStrides[2], rows, o.QStrides[2], d, o.QStrides[3], mr);
                PanelGemm(kernel, rows, ldS, d, a, packs + pair * (ktSize + vSize), sp + ((long)pair * lq + r0) * ldS, ldS);
            });
            // 2. softmax(scale·S + mask) along keys.
            Parallelism.For(pairs * rowBlocks, task =>
            {
                int pair = task / rowBlocks, r0 = task % rowBlocks * MB, rows = Math.Min(MB, lq - r0);
                float* mask = o.Mask == null ? null : o.MaskOf(pair);
                for (int i = r0; i < r0 + rows; i++)
                {
                    var row = new Span<float>(sp + ((long)pair * lq + i) * ldS, lk);
                    TensorPrimitives.Multiply(row, o.Scale, row);
                    if (mask != null)
                        for (int j = 0; j < lk; j++) row[j] += mask[i * o.MaskStrides[2] + j * o.MaskStrides[3]];
                    if (o.IsCausal && i + 1 < lk) row[(i + 1)..].Fill(float.NegativeInfinity);
                    float max = lk == 0 ? float.NegativeInfinity : TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, float.IsNegativeInfinity(max) ? 0f : max, row);
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row); // all masked: 0 / 0 = NaN, as torch
                }
            });
            // 3. Y = P·V
            Parallelism.For(pairs * rowBlocks, task =>
            {
                int pair = task / rowBlocks, r0 = task % rowBlocks * MB, rows = Math.Min(MB, lq - r0);
                float* a = ThreadScratch.Get(ref t_panels, (long)MB * lk);
                PackPanels.A(a, sp + ((long)pair * lq + r0) * ldS, rows, ldS, lk, 1, mr);
                PanelGemm(kernel, rows, dv, lk, a, packs + pair * (ktSize + vSize) + ktSize, yp + ((long)pair * lq + r0) * dv, dv);
            });
        }
        finally
        {
            NativeBlockPool.Return(packs, packBytes);
        }
        return y;
    }

    /// <summary>
    /// C[rows × cols] = A·B for A panels [⌈rows/MR⌉][kLen][MR] and B panels [⌈cols/NR⌉][kLen][NR], blocked over k
    /// (KC = 256) so a B micro panel stays in L1 while A streams from L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PanelGemm(MicroKernel kernel, int rows, int cols, int kLen, float* a, float* b, float* c, int ldc)
    {
        const int KC = 256;
        int mr = kernel.MR, nr = kernel.NR;
        for (int k0 = 0; k0 < kLen || k0 == 0; k0 += KC)
        {
            int kc = Math.Min(KC, kLen - k0);
            for (int j = 0; j < cols; j += nr)
                for (int i = 0; i < rows; i += mr)
                    kernel.Run(kc, a + (long)i * kLen + (long)k0 * mr, mr, b + (long)j * kLen + (long)k0 * nr, nr,
                        c + (long)i * ldc + j, ldc, Math.Min(mr, rows - i), Math.Min(nr, cols - j), accumulate: k0 > 0);
            if (kLen == 0) break;
        }
    }
}
