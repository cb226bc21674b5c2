using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The A operand of <see cref="Gemm.Run"/>: something that can write a block of A's rows in the packed
/// panel layout the micro-kernel reads. <see cref="StridedA"/> covers any strided matrix (row-major,
/// transposed, a view); derive your own to feed A without materialising it (implicit im2col).
/// </summary>
public abstract unsafe class GemmASource
{
    /// <summary>
    /// Writes rows [row0, row0 + rows) × columns [k0, k0 + kc) of A into <paramref name="dst"/> as
    /// ⌈rows / <see cref="Gemm.MR"/>⌉ consecutive panels of kc × MR floats: element (row0 + q·MR + r, k0 + p)
    /// goes to dst[q·MR·kc + p·MR + r]. Rows past <paramref name="rows"/> in the last panel must be zero.
    /// Called once per (row block, K block) of a GEMM, possibly from several threads at once.
    /// </summary>
    public abstract void Pack(int row0, int rows, int k0, int kc, float* dst);
}

/// <summary>A float32 matrix whose element (i, p) is at data[i·rowStride + p·colStride] (transposed A: rowStride = 1).</summary>
public sealed unsafe class StridedA(float* data, long rowStride, long colStride) : GemmASource
{
    public override void Pack(int row0, int rows, int k0, int kc, float* dst)
    {
        const int MR = Gemm.MR;
        for (int q = 0; q * MR < rows; q++, dst += (long)MR * kc)
        {
            int mr = Math.Min(MR, rows - q * MR);
            float* src = data + (row0 + (long)q * MR) * rowStride + k0 * colStride;
            if (mr < MR) new Span<float>(dst, MR * kc).Clear();
            if (colStride == 1 && mr == MR && Avx.IsSupported)
                PackRowMajorPanelAvx(src, rowStride, kc, dst);
            else if (colStride == 1)
            {
                // Row-major: read each row's run once, scatter with stride MR.
                for (int r = 0; r < mr; r++)
                {
                    float* row = src + r * rowStride;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = row[p];
                }
            }
            else
            {
                // Transposed (rowStride 1) or general strides: walk k outermost so reads are contiguous when they can be.
                for (int p = 0; p < kc; p++)
                {
                    float* col = src + p * colStride;
                    for (int r = 0; r < mr; r++) dst[p * MR + r] = col[r * rowStride];
                }
            }
        }
    }

    /// <summary>
    /// A full 12-row panel of a row-major A: eight k at a time, rows 0–7 go through an 8×8 register transpose
    /// and rows 8–11 through two 4×4 ones, so every store writes a whole k column of the panel.
    /// </summary>
    static void PackRowMajorPanelAvx(float* src, long rowStride, int kc, float* dst)
    {
        const int MR = Gemm.MR;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            float* s = src + p;
            var t0 = Avx.UnpackLow(Avx.LoadVector256(s), Avx.LoadVector256(s + rowStride));
            var t1 = Avx.UnpackHigh(Avx.LoadVector256(s), Avx.LoadVector256(s + rowStride));
            var t2 = Avx.UnpackLow(Avx.LoadVector256(s + 2 * rowStride), Avx.LoadVector256(s + 3 * rowStride));
            var t3 = Avx.UnpackHigh(Avx.LoadVector256(s + 2 * rowStride), Avx.LoadVector256(s + 3 * rowStride));
            var t4 = Avx.UnpackLow(Avx.LoadVector256(s + 4 * rowStride), Avx.LoadVector256(s + 5 * rowStride));
            var t5 = Avx.UnpackHigh(Avx.LoadVector256(s + 4 * rowStride), Avx.LoadVector256(s + 5 * rowStride));
            var t6 = Avx.UnpackLow(Avx.LoadVector256(s + 6 * rowStride), Avx.LoadVector256(s + 7 * rowStride));
            var t7 = Avx.UnpackHigh(Avx.LoadVector256(s + 6 * rowStride), Avx.LoadVector256(s + 7 * rowStride));
            // s0..s3 hold columns (0,4), (1,5), (2,6), (3,7) of rows 0–3 per 128-bit lane; s4..s7 the same for rows 4–7.
            var s0 = Avx.Shuffle(t0, t2, 0x44);
            var s1 = Avx.Shuffle(t0, t2, 0xEE);
            var s2 = Avx.Shuffle(t1, t3, 0x44);
            var s3 = Avx.Shuffle(t1, t3, 0xEE);
            var s4 = Avx.Shuffle(t4, t6, 0x44);
            var s5 = Avx.Shuffle(t4, t6, 0xEE);
            var s6 = Avx.Shuffle(t5, t7, 0x44);
            var s7 = Avx.Shuffle(t5, t7, 0xEE);
            float* d = dst + p * MR;
            Avx.Store(d + 0 * MR, Avx.Permute2x128(s0, s4, 0x20));
            Avx.Store(d + 1 * MR, Avx.Permute2x128(s1, s5, 0x20));
            Avx.Store(d + 2 * MR, Avx.Permute2x128(s2, s6, 0x20));
            Avx.Store(d + 3 * MR, Avx.Permute2x128(s3, s7, 0x20));
            Avx.Store(d + 4 * MR, Avx.Permute2x128(s0, s4, 0x31));
            Avx.Store(d + 5 * MR, Avx.Permute2x128(s1, s5, 0x31));
            Avx.Store(d + 6 * MR, Avx.Permute2x128(s2, s6, 0x31));
            Avx.Store(d + 7 * MR, Avx.Permute2x128(s3, s7, 0x31));
            // Rows 8–11: u0..u3 hold columns (0,4), (1,5), (2,6), (3,7) in their low and high halves.
            var t8 = Avx.UnpackLow(Avx.LoadVector256(s + 8 * rowStride), Avx.LoadVector256(s + 9 * rowStride));
            var t9 = Avx.UnpackHigh(Avx.LoadVector256(s + 8 * rowStride), Avx.LoadVector256(s + 9 * rowStride));
            var t10 = Avx.UnpackLow(Avx.LoadVector256(s + 10 * rowStride), Avx.LoadVector256(s + 11 * rowStride));
            var t11 = Avx.UnpackHigh(Avx.LoadVector256(s + 10 * rowStride), Avx.LoadVector256(s + 11 * rowStride));
            var u0 = Avx.Shuffle(t8, t10, 0x44);
            var u1 = Avx.Shuffle(t8, t10, 0xEE);
            var u2 = Avx.Shuffle(t9, t11, 0x44);
            var u3 = Avx.Shuffle(t9, t11, 0xEE);
            Sse.Store(d + 0 * MR + 8, u0.GetLower());
            Sse.Store(d + 1 * MR + 8, u1.GetLower());
            Sse.Store(d + 2 * MR + 8, u2.GetLower());
            Sse.Store(d + 3 * MR + 8, u3.GetLower());
            Sse.Store(d + 4 * MR + 8, u0.GetUpper());
            Sse.Store(d + 5 * MR + 8, u1.GetUpper());
            Sse.Store(d + 6 * MR + 8, u2.GetUpper());
            Sse.Store(d + 7 * MR + 8, u3.GetUpper());
        }
        for (; p < kc; p++)
            for (int r = 0; r < MR; r++) dst[p * MR + r] = src[r * rowStride + p];
    }
}
