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
            if (colStride == 1)
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
}
