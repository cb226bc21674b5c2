using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// <summary>Head-dimension block of the score GEMM: a K micro panel (DC·MR floats, 24 KB on AVX-512) stays in L1 while Qᵀ panels stream past it.</summary>
    const int DC = 512;
    /// <summary>K panels packed per pack task (V packs a panel per task).</summary>
    const int PackChunk = 16;

    public static Tensor Forward(in AttentionOperands op, MicroKernel kernel)
    {
        var y = Tensor.Empty(op.Batch, op.Heads, op.Lq, op.Dv);
        if (y.Count == 0) return y;
        var job = new FusedJob(op, kernel, y.Data);
        try
        {
            Parallelism.For(job.PackTasks, job.Pack);
            ForEachInOrder(op.Pairs * job.QueryBlocks, job.RunBlock);
        }
        finally
        {
            job.Free();
        }
        return y;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every index in [0, count), each thread taking the next index when it is
    /// done, so the last tasks spread evenly (Parallel.For hands out growing runs of indices).
    /// </summary>
    static void ForEachInOrder(int count, Action<int> body)
    {
        int next = -1;
        Parallelism.For(Math.Min(count, Parallelism.Threads), _ =>
        {
            for (int task; (task = Interlocked.Increment(ref next)) < count;) body(task);
        });
    }

    /// <summary>This thread's task scratch (Qᵀ panels, score tile, O tile, row statistics).</summary>
    [ThreadStatic] static float[]? t_scratch;

    sealed class FusedJob
    {
        readonly AttentionOperands _op;
        readonly MicroKernel _kernel;
        readonly float* _y;
        readonly int _queryUnits, _dvPad, _kPanels, _vPanels, _kChunks;
        readonly long _kPackSize, _vPackSize;
        readonly long _packBytes;
        readonly float* _packs; // per pair: K as A panels [⌈Lk/MR⌉][D][MR], then V as B panels [⌈Dv/NR⌉][Lk][NR]

        public FusedJob(in AttentionOperands op, MicroKernel kernel, float* y)
        {
            _op = op;
            _kernel = kernel;
            _y = y;
            int mr = kernel.MR, nr = kernel.NR;
            // Query blocks of up to bqMax queries: Qᵀ panels and the O tile ((D + Dv)·bqMax floats, ≤ 768 KB) stay
            // inside L2; larger blocks re-read K and V less often.
            int bqMax = Math.Max(nr, Math.Min(192, 196608 / Math.Max(op.D + op.Dv, 1)) / nr * nr);
            _queryUnits = (op.Lq + nr - 1) / nr;
            QueryBlocks = (op.Lq + bqMax - 1) / bqMax;
            _dvPad = RoundUp(op.Dv, nr);
            _kPanels = (op.Lk + mr - 1) / mr;
            _vPanels = _dvPad / nr;
            _kChunks = (_kPanels + PackChunk - 1) / PackChunk;
            _kPackSize = (long)_kPanels * op.D * mr;
            _vPackSize = (long)_vPanels * op.Lk * nr;
            // From the pool: the K/V panels (16 MB at 4096 keys of 512 dims) would cost as much to page-fault in afresh as to pack.
            _packBytes = op.Pairs * (_kPackSize + _vPackSize) * sizeof(float);
            _packs = (float*)NativeBlockPool.Rent(_packBytes);
        }

        public int QueryBlocks { get; }

        /// <summary>Packing splits into chunks of panels so that one (batch, head) packs on all threads.</summary>
        public int PackTasks => _op.Pairs * (_kChunks + _vPanels);

        public void Free() => NativeBlockPool.Return(_packs, _packBytes);

        float* KPack(int pair) => _packs + pair * (_kPackSize + _vPackSize);
        float* VPack(int pair) => KPack(pair) + _kPackSize;

        /// <summary>
        /// First query of block b: blocks share the ⌈Lq/NR⌉ query panels evenly (sizes differ by at most one panel),
        /// so the last tasks are not a short one after long ones.
        /// </summary>
        int BlockStart(int b) => Math.Min(_op.Lq, (int)((long)b * _queryUnits / QueryBlocks) * _kernel.NR);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pack(int task)
        {
            int pair = task / (_kChunks + _vPanels), chunk = task % (_kChunks + _vPanels), mr = _kernel.MR, nr = _kernel.NR;
            if (chunk < _kChunks)
            {
                int key0 = chunk * PackChunk * mr;
                PackPanels.A(KPack(pair) + (long)key0 * _op.D, _op.KOf(pair) + key0 * _op.KStrides[2], Math.Min(PackChunk * mr, _op.Lk - key0),
                    _op.KStrides[2], _op.D, _op.KStrides[3], mr);
            }
            else
            {
                int col0 = (chunk - _kChunks) * nr;
                PackPanels.B(VPack(pair) + (long)col0 * _op.Lk, _op.VOf(pair) + col0 * _op.VStrides[3], Math.Min(nr, _op.Dv - col0),
                    _op.VStrides[3], _op.Lk, _op.VStrides[2], nr);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int task)
        {
            int pair = task / QueryBlocks, block = task % QueryBlocks, q0 = BlockStart(block), bq = BlockStart(block + 1) - q0;
            // The block's queries rounded up to whole Qᵀ panels: the width of the score tile and of the softmax.
            int width = RoundUp(bq, _kernel.NR), lk = _op.Lk;
            long qt = (long)width * _op.D, st = (long)BK * width, o = (long)bq * _dvPad;
            float* qT = ThreadScratch.Get(ref t_scratch, qt + st + o + 4L * width), scores = qT + qt, acc = scores + st;
            float* max = acc + o, sum = max + width, corr = sum + width; // then the softmax shift (OnlineSoftmax)
            PackScaledQueries(qT, _op.QOf(pair) + q0 * _op.QStrides[2], bq, width);
            new Span<float>(max, width).Fill(float.NegativeInfinity);
            new Span<float>(sum, width).Clear();
            // Causal: keys past the block's last query are hidden from every query of the block.
            int keyEnd = _op.IsCausal ? Math.Min(lk, q0 + bq) : lk;
            if (keyEnd == 0) new Span<float>(acc, (int)o).Clear(); // else the first key block writes O
            for (int j0 = 0; j0 < keyEnd; j0 += BK)
            {
                int kcount = Math.Min(BK, keyEnd - j0);
                Scores(pair, qT, width, j0, kcount, scores);
                _op.MaskTransposed(scores, width, pair, q0, bq, j0, kcount);
                OnlineSoftmax(scores, width, kcount, max, sum, corr);
                if (j0 > 0)
                    for (int i = 0; i < bq; i++)
                        if (corr[i] != 1f) // the running max moved
                            Multiply(acc + (long)i * _dvPad, acc + (long)i * _dvPad, _dvPad, corr[i]);
                AccumulateValues(pair, scores, width, j0, kcount, bq, acc);
            }
            float* y = _y + ((long)pair * _op.Lq + q0) * _op.Dv;
            for (int i = 0; i < bq; i++) Divide(acc + (long)i * _dvPad, y + (long)i * _op.Dv, _op.Dv, sum[i]);
        }

        /// <summary>
        /// scale·Qᵀ as B panels [width/NR][D][NR], query by query so each query row is read in order; padded
        /// queries are zero and their results are dropped.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void PackScaledQueries(float* qT, float* q, int bq, int width)
        {
            int nr = _kernel.NR, d = _op.D;
            long rowStride = _op.QStrides[2], step = _op.QStrides[3];
            float scale = _op.Scale;
            for (int i = 0; i < width; i++)
            {
                float* dst = qT + (long)(i / nr) * d * nr + i % nr, src = q + i * rowStride;
                if (i < bq)
                    for (int t = 0; t < d; t++) dst[(long)t * nr] = src[t * step] * scale;
                else
                    for (int t = 0; t < d; t++) dst[(long)t * nr] = 0f;
            }
        }

        /// <summary>Sᵀ[keys, queries] = K_block · (scale·Q)ᵀ, each K micro panel reused from L1 across the query panels.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Scores(int pair, float* qT, int width, int j0, int kcount, float* scores)
        {
            int mr = _kernel.MR, nr = _kernel.NR, d = _op.D, qPanels = width / nr;
            float* kBlock = KPack(pair) + (long)(j0 / mr) * d * mr;
            for (int d0 = 0; d0 < d || d0 == 0; d0 += DC)
            {
                int dc = Math.Min(DC, d - d0);
                for (int kp = 0; kp * mr < kcount; kp++)
                {
                    float* kPanel = kBlock + (long)kp * d * mr + (long)d0 * mr;
                    for (int qp = 0; qp < qPanels; qp++)
                    {
                        // The next K micro panel comes from L3: fetch it while this one is in use.
                        PrefetchPart(kPanel + (long)d * mr, (long)dc * mr, qp, qPanels);
                        _kernel.Run(dc, kPanel, mr, qT + (long)qp * nr * d + (long)d0 * nr, nr,
                            scores + (long)kp * mr * width + qp * nr, width, mr, nr, accumulate: d0 > 0);
                    }
                }
                if (d == 0) break;
            }
        }

        /// <summary>
        /// Online softmax down the columns of Sᵀ: the running max absorbs the block, corr = e^(old max − new max)
        /// rescales the running sum (and, by the caller, O), and the tile becomes P = e^(S − max).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void OnlineSoftmax(float* scores, int width, int kcount, float* max, float* sum, float* corr)
        {
            float* shift = corr + width;
            new ReadOnlySpan<float>(max, width).CopyTo(new Span<float>(corr, width));
            ColumnMax(scores, width, kcount, max, width);
            for (int i = 0; i < width; i += 8)
            {
                // A column that has seen only −∞ keeps max −∞; shifting by 0 instead gives e^−∞ = 0, not NaN.
                var m = Vector256.Load(max + i);
                Vector256.ConditionalSelect(Vector256.Equals(m, Vector256.Create(float.NegativeInfinity)), Vector256<float>.Zero, m).Store(shift + i);
            }
            ExpShifted(corr, 0, 1, shift, width, null);
            for (int i = 0; i < width; i += 8) (Vector256.Load(sum + i) * Vector256.Load(corr + i)).Store(sum + i);
            ExpShifted(scores, width, kcount, shift, width, sum);
        }

        /// <summary>
        /// O[queries, Dv] (+)= P · V_block (= for the first block), P read k-major straight from the Sᵀ tile. A partial
        /// last row tile reads up to MR − 1 values past the block's columns (the next row; the O tile after the last
        /// row): they only reach the rows the micro-kernel's edge path drops.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void AccumulateValues(int pair, float* p, int width, int j0, int kcount, int bq, float* acc)
        {
            int mr = _kernel.MR, nr = _kernel.NR, lk = _op.Lk, rowTiles = (bq + mr - 1) / mr;
            float* vBlock = VPack(pair) + (long)j0 * nr;
            for (int vp = 0; vp < _dvPad; vp += nr)
            {
                float* vPanel = vBlock + (long)vp * lk;
                for (int t = 0; t < rowTiles; t++)
                {
                    // Likewise the next V micro panel.
                    PrefetchPart(vPanel + (long)nr * lk, (long)kcount * nr, t, rowTiles);
                    _kernel.Run(kcount, p + t * mr, width, vPanel, nr, acc + (long)t * mr * _dvPad + vp, _dvPad, Math.Min(mr, bq - t * mr), nr, accumulate: j0 > 0);
                }
            }
        }
    }

    /// <summary>
    /// rows[j·ld + i] = e^(rows[j·ld + i] − shift[i]) for j &lt; count, i &lt; width (a multiple of 8), adding each
    /// result to sum[i] when sum is given. Both vector widths compute the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ExpShifted(float* rows, int ld, int count, float* shift, int width, float* sum)
    {
        for (int j = 0; j < count; j++)
        {
            float* row = rows + (long)j * ld;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i <= width - 16; i += 16)
                {
                    var e = VectorMath.Exp(Vector512.Load(row + i) - Vector512.Load(shift + i));
                    e.Store(row + i);
                    if (sum != null) (Vector512.Load(sum + i) + e).Store(sum + i);
                }
            for (; i < width; i += 8)
            {
                var e = VectorMath.Exp(Vector256.Load(row + i) - Vector256.Load(shift + i));
                e.Store(row + i);
                if (sum != null) (Vector256.Load(sum + i) + e).Store(sum + i);
            }
        }
    }

    /// <summary>max[i] = the largest of max[i] and rows[j·ld + i] for j &lt; count, i &lt; width (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ColumnMax(float* rows, int ld, int count, float* max, int width)
    {
        for (int j = 0; j < count; j++)
        {
            float* row = rows + (long)j * ld;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i <= width - 16; i += 16) Vector512.Max(Vector512.Load(max + i), Vector512.Load(row + i)).Store(max + i);
            for (; i < width; i += 8) Vector256.Max(Vector256.Load(max + i), Vector256.Load(row + i)).Store(max + i);
        }
    }

    /// <summary>dst[i] = src[i] · factor for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Multiply(float* src, float* dst, int n, float factor)
    {
        int i = 0;
        for (var f = Vector256.Create(factor); i <= n - 8; i += 8) (Vector256.Load(src + i) * f).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i] * factor;
    }

    /// <summary>dst[i] = src[i] / divisor for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Divide(float* src, float* dst, int n, float divisor)
    {
        int i = 0;
        for (var f = Vector256.Create(divisor); i <= n - 8; i += 8) (Vector256.Load(src + i) / f).Store(dst + i);
        for (; i < n; i++) dst[i] = src[i] / divisor;
    }

    /// <summary>
    /// Prefetches into L2 part <paramref name="part"/> of <paramref name="parts"/> of the cache lines of
    /// [p, p + count): spread over the calls of a loop so no call stalls on it. Prefetches never fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PrefetchPart(float* p, long count, int part, int parts)
    {
        if (!Sse.IsSupported) return;
        long lines = (count + 15) / 16, from = lines * part / parts, to = lines * (part + 1) / parts;
        for (long line = from; line < to; line++) Sse.Prefetch1(p + line * 16);
    }

    internal static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
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
