using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The operands of one scaled-dot-product attention call, read through their strides (no contiguous
/// copies): q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv], an optional additive mask already
/// expanded to [B, H, Lq, Lk] (stride 0 on broadcast dimensions), causal flag and scale.
/// </summary>
internal readonly unsafe struct AttentionOperands
{
    public AttentionOperands(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal, float scale)
    {
        Q = q.Data; K = k.Data; V = v.Data;
        QStrides = q.Strides.ToArray(); KStrides = k.Strides.ToArray(); VStrides = v.Strides.ToArray();
        Mask = mask == null ? null : mask.Data;
        MaskStrides = mask?.Strides.ToArray() ?? new long[4];
        Batch = q.Size(0); Heads = q.Size(1); Lq = q.Size(2); D = q.Size(3); Lk = k.Size(2); Dv = v.Size(3);
        IsCausal = isCausal;
        Scale = scale;
    }

    public readonly float* Q, K, V, Mask;
    public readonly long[] QStrides, KStrides, VStrides, MaskStrides;
    public readonly int Batch, Heads, Lq, D, Lk, Dv;
    public readonly bool IsCausal;
    public readonly float Scale;

    public int Pairs => Batch * Heads;
    public float* QOf(int pair) => Q + pair / Heads * QStrides[0] + pair % Heads * QStrides[1];
    public float* KOf(int pair) => K + pair / Heads * KStrides[0] + pair % Heads * KStrides[1];
    public float* VOf(int pair) => V + pair / Heads * VStrides[0] + pair % Heads * VStrides[1];
    public float* MaskOf(int pair) => Mask + pair / Heads * MaskStrides[0] + pair % Heads * MaskStrides[1];

    /// <summary>scores[j·ld + i] (key j, query q0 + i), already scaled: + mask, −∞ above the causal diagonal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MaskTransposed(float* scores, int ld, int pair, int q0, int bq, int j0, int kcount)
    {
        if (Mask == null && !IsCausal) return;
        float* mask = Mask == null ? null : MaskOf(pair);
        long mi = MaskStrides[2], mj = MaskStrides[3];
        for (int jj = 0; jj < kcount; jj++)
        {
            var row = new Span<float>(scores + (long)jj * ld, bq);
            int j = j0 + jj;
            if (mask != null)
            {
                if (mi == 0) TensorPrimitives.Add(row, mask[j * mj], row); // key-padding mask: one value per key
                else
                    for (int i = 0; i < bq; i++) row[i] += mask[(q0 + i) * mi + j * mj];
            }
            if (IsCausal && j > q0) row[..Math.Min(bq, j - q0)].Fill(float.NegativeInfinity);
        }
    }
}

/// <summary>
/// Fused attention (flash-attention style): per (batch, head) and block of queries, keys are visited in
/// blocks; scores live only in a [keys × queries] tile, with a running max and sum per query (online
/// softmax), so memory is linear in sequence length. Scores are computed transposed (Sᵀ = K·Qᵀ) so the
/// softmax runs down columns — vectorised across queries — and the tile is already the k-major A operand of
/// O += P·V. Tasks are (batch, head, query block): output tiles only, bit-identical for any thread count.
/// A row whose keys are all masked (−∞) has sum 0 and yields NaN, as torch's softmax does.
/// </summary>
internal static unsafe class AttentionKernel
{
    /// <summary>Keys per block (a multiple of every kernel's MR).</summary>
    const int BK = 192;
    /// <summary>Head-dimension block of the score GEMM: a K micro panel and a Qᵀ micro panel fit L1 together.</summary>
    const int DC = 128;

    public static Tensor Forward(in AttentionOperands op, MicroKernel kernel)
    {
        var y = Tensor.Empty(op.Batch, op.Heads, op.Lq, op.Dv);
        if (y.Count == 0) return y;
        var job = new FusedJob(op, kernel, y.Data);
        try
        {
            Parallelism.For(op.Pairs, job.PackKeysAndValues);
            Parallelism.For(op.Pairs * job.QueryBlocks, job.RunBlock);
        }
        finally
        {
            job.Free();
        }
        return y;
    }

    sealed class FusedJob
    {
        readonly AttentionOperands _op;
        readonly MicroKernel _kernel;
        readonly float* _y;
        readonly int _bq, _dvPad, _kPanels, _vPanels;
        readonly long _kPackSize, _vPackSize;
        readonly float* _packs; // per pair: K as A panels [⌈Lk/MR⌉][D][MR], then V as B panels [⌈Dv/NR⌉][Lk][NR]

        public FusedJob(in AttentionOperands op, MicroKernel kernel, float* y)
        {
            _op = op;
            _kernel = kernel;
            _y = y;
            int mr = kernel.MR, nr = kernel.NR, unit = Lcm(mr, nr);
            // Query block: Qᵀ panels and the O tile ((D + Dv)·BQ floats, ≤ 768 KB) stay inside L2; larger blocks
            // re-read K and V less often.
            _bq = Math.Max(unit, Math.Min(256, 196608 / Math.Max(op.D + op.Dv, 1)) / unit * unit);
            _dvPad = RoundUp(op.Dv, nr);
            _kPanels = (op.Lk + mr - 1) / mr;
            _vPanels = _dvPad / nr;
            _kPackSize = (long)_kPanels * op.D * mr;
            _vPackSize = (long)_vPanels * op.Lk * nr;
            QueryBlocks = (op.Lq + _bq - 1) / _bq;
            _packs = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, op.Pairs * (_kPackSize + _vPackSize)) * sizeof(float)), 64);
        }

        public int QueryBlocks { get; }

        public void Free() => NativeMemory.AlignedFree(_packs);

        float* KPack(int pair) => _packs + pair * (_kPackSize + _vPackSize);
        float* VPack(int pair) => KPack(pair) + _kPackSize;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void PackKeysAndValues(int pair)
        {
            PackPanels.A(KPack(pair), _op.KOf(pair), _op.Lk, _op.KStrides[2], _op.D, _op.KStrides[3], _kernel.MR);
            PackPanels.B(VPack(pair), _op.VOf(pair), _op.Dv, _op.VStrides[3], _op.Lk, _op.VStrides[2], _kernel.NR);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int task)
        {
            int pair = task / QueryBlocks, q0 = task % QueryBlocks * _bq, bq = Math.Min(_bq, _op.Lq - q0);
            int mr = _kernel.MR, nr = _kernel.NR, d = _op.D, lk = _op.Lk, ldS = _bq;
            long qt = (long)_bq * d, st = (long)BK * _bq, o = (long)_bq * _dvPad;
            float* scratch = (float*)NativeMemory.AlignedAlloc((nuint)((qt + st + o + 4L * _bq) * sizeof(float)), 64);
            try
            {
                float* qT = scratch, scores = qT + qt, acc = scores + st;
                float* max = acc + o, sum = max + _bq, safeMax = sum + _bq, corr = safeMax + _bq;
                // scale·Qᵀ as B panels [BQ/NR][D][NR]; padded queries are zero and their results are dropped.
                PackPanels.B(qT, _op.QOf(pair) + q0 * _op.QStrides[2], bq, _op.QStrides[2], d, _op.QStrides[3], nr, _bq);
                TensorPrimitives.Multiply(new Span<float>(qT, checked((int)qt)), _op.Scale, new Span<float>(qT, checked((int)qt)));
                new Span<float>(acc, (int)o).Clear();
                new Span<float>(max, _bq).Fill(float.NegativeInfinity);
                new Span<float>(sum, _bq).Clear();
                var maxS = new Span<float>(max, _bq);
                var sumS = new Span<float>(sum, _bq);
                var safeS = new Span<float>(safeMax, _bq);
                var corrS = new Span<float>(corr, _bq);
                // Causal: keys past the block's last query are hidden from every query of the block.
                int keyEnd = _op.IsCausal ? Math.Min(lk, q0 + bq) : lk;
                for (int j0 = 0; j0 < keyEnd; j0 += BK)
                {
                    int kcount = Math.Min(BK, keyEnd - j0);
                    // Sᵀ[keys, queries] = K_block · (scale·Q)ᵀ, blocked over D so both micro panels stay in L1.
                    float* kBlock = KPack(pair) + (long)(j0 / mr) * d * mr;
                    for (int d0 = 0; d0 < d || d0 == 0; d0 += DC)
                    {
                        int dc = Math.Min(DC, d - d0);
                        for (int kp = 0; kp * mr < kcount; kp++)
                            for (int qp = 0; qp < _bq; qp += nr)
                                _kernel.Run(dc, kBlock + (long)kp * d * mr + (long)d0 * mr, mr, qT + (long)qp * d + (long)d0 * nr, nr,
                                    scores + (long)kp * mr * ldS + qp, ldS, mr, nr, accumulate: d0 > 0);
                        if (d == 0) break;
                    }
                    _op.MaskTransposed(scores, ldS, pair, q0, bq, j0, kcount);

                    // Online softmax down the columns: new running max, rescale factor, P = exp(S − max), sums.
                    maxS.CopyTo(corrS);
                    for (int jj = 0; jj < kcount; jj++) TensorPrimitives.Max(maxS, new ReadOnlySpan<float>(scores + (long)jj * ldS, _bq), maxS);
                    for (int i = 0; i < _bq; i++) safeMax[i] = float.IsNegativeInfinity(max[i]) ? 0f : max[i];
                    TensorPrimitives.Subtract(corrS, safeS, corrS);
                    TensorPrimitives.Exp(corrS, corrS); // exp(old max − new max); 0 while nothing was visible
                    TensorPrimitives.Multiply(sumS, corrS, sumS);
                    for (int jj = 0; jj < kcount; jj++)
                    {
                        var row = new Span<float>(scores + (long)jj * ldS, _bq);
                        TensorPrimitives.Subtract(row, safeS, row);
                        TensorPrimitives.Exp(row, row);
                        TensorPrimitives.Add(sumS, row, sumS);
                    }
                    if (j0 > 0)
                        for (int i = 0; i < bq; i++)
                        {
                            var orow = new Span<float>(acc + (long)i * _dvPad, _dvPad);
                            TensorPrimitives.Multiply(orow, corr[i], orow);
                        }

                    // O[queries, Dv] += P · V_block, P read k-major straight from the Sᵀ tile.
                    float* vBlock = VPack(pair) + (long)j0 * nr;
                    for (int vp = 0; vp < _dvPad; vp += nr)
                        for (int i0 = 0; i0 < bq; i0 += mr)
                            _kernel.Run(kcount, scores + i0, ldS, vBlock + (long)vp * lk, nr, acc + (long)i0 * _dvPad + vp, _dvPad, Math.Min(mr, bq - i0), nr, accumulate: true);
                }
                float* y = _y + ((long)pair * _op.Lq + q0) * _op.Dv;
                for (int i = 0; i < bq; i++)
                    TensorPrimitives.Divide(new ReadOnlySpan<float>(acc + (long)i * _dvPad, _op.Dv), sum[i], new Span<float>(y + (long)i * _op.Dv, _op.Dv));
            }
            finally
            {
                NativeMemory.AlignedFree(scratch);
            }
        }
    }

    internal static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }
}

/// <summary>Packing of strided matrices into micro-kernel panels (zero padded).</summary>
internal static unsafe class PackPanels
{
    /// <summary>
    /// A panels: dst[p][kk][r] = src[(p·MR + r)·rowStride + kk·kStride] for rows &lt; <paramref name="rows"/>, else 0;
    /// ⌈rows/MR⌉ panels of kLen·MR floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void A(float* dst, float* src, int rows, long rowStride, int kLen, long kStride, int mr)
    {
        for (int p = 0; p * mr < rows; p++)
        {
            float* d = dst + (long)p * kLen * mr;
            for (int r = 0; r < mr; r++)
            {
                int row = p * mr + r;
                if (row >= rows)
                {
                    for (int kk = 0; kk < kLen; kk++) d[(long)kk * mr + r] = 0f;
                    continue;
                }
                float* s = src + row * rowStride;
                for (int kk = 0; kk < kLen; kk++) d[(long)kk * mr + r] = s[kk * kStride];
            }
        }
    }

    /// <summary>
    /// B panels: dst[p][kk][j] = src[(p·NR + j)·colStride + kk·kStride] for columns &lt; <paramref name="cols"/>, else 0;
    /// ⌈<paramref name="paddedCols"/>/NR⌉ panels of kLen·NR floats (paddedCols defaults to cols).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void B(float* dst, float* src, int cols, long colStride, int kLen, long kStride, int nr, int paddedCols = -1)
    {
        int total = Math.Max(cols, paddedCols);
        for (int p = 0; p * nr < total; p++)
        {
            float* d = dst + (long)p * kLen * nr;
            int valid = Math.Clamp(cols - p * nr, 0, nr);
            for (int kk = 0; kk < kLen; kk++)
            {
                float* s = src + p * nr * colStride + kk * kStride;
                float* drow = d + (long)kk * nr;
                if (colStride == 1) new ReadOnlySpan<float>(s, valid).CopyTo(new Span<float>(drow, valid));
                else for (int j = 0; j < valid; j++) drow[j] = s[j * colStride];
                for (int j = valid; j < nr; j++) drow[j] = 0f;
            }
        }
    }
}
