using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Single-precision GEMM, BLIS-style: B is packed into K-block × NR-column panels (<see cref="PackedB"/>,
/// once per weight), A is packed per (row block, K block) into MR-row panels, and an MR × NR register-blocked
/// micro-kernel (AVX-512 or AVX2+FMA, scalar fallback) accumulates each tile. Threads take whole output tiles; the K
/// reduction always runs in the same order, so results are bit-identical for any thread count.
/// </summary>
/// <remarks>
/// Entry points: <see cref="Sgemm"/> (BLAS-like, packs B per call); <see cref="Run"/> (threaded, with a
/// pre-packed B, bias and beta); <see cref="RunRows"/> (single-threaded on a row range, for callers that
/// thread over their own output tiles, e.g. convolution or attention).
/// <para>Typical use by a layer with weights W [N, K] (Linear [out, in], conv [Cout, Cin·kh·kw]):</para>
/// <code>
/// var w = PackedB.ForWeight(weight);            // packed once per weight tensor, cached (F32/F16/BF16)
/// Gemm.Run(new StridedA(x, ldx, 1), rows, w, y, ldy, bias: b);       // y[rows, N] = x[rows, K]·Wᵀ + b, threaded
/// Parallelism.For(chunks, i => Gemm.RunRows(src, r0(i), r1(i), w, y, ldy, bias: b)); // your own threading
/// </code>
/// A can be any strided matrix (<see cref="StridedA"/>) or a custom <see cref="GemmASource"/> that writes
/// MR-row panels itself (implicit im2col); C may be written transposed (cColStride, e.g. NCHW output).
/// Small per-call B operands (attention keys) can be packed into reusable memory with
/// <see cref="PackedB.PackInto"/>.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Rows of a micro-tile; A panels are MR rows wide (12 rows of two zmm accumulators, or two 6-row AVX2 passes).</summary>
    public const int MR = 12;
    /// <summary>
    /// Columns of a micro-tile; B panels are NR columns wide (two zmm vectors). A 12×32 tile does 24 FMAs per 2 loads and
    /// 12 broadcasts; a 12×16 tile's 12 broadcasts per 12 FMAs saturate the load ports at about 70% of the FMA peak.
    /// </summary>
    public const int NR = 32;
    /// <summary>
    /// Maximum depth of a K block. Each micro-tile's C is loaded and stored once per block, and its first loads hold
    /// up the FMA chains, so deep blocks pay that less often: 512 against 256 took 2048³ on one thread from 194 to
    /// 216 GFLOP/s, although the kc × NR B panel (64 KiB) then streams from L2 beside A.
    /// </summary>
    public const int KC = 512;
    /// <summary>Rows of A packed per block (a multiple of MR): the MC × KC block of A (384 KiB) stays in the 1 MiB L2.</summary>
    internal const int MC = 192;
    /// <summary>Widest column chunk of a tile (a multiple of NR): wide tiles re-read A less often.</summary>
    internal const int MaxNC = 1024;
    /// <summary>Fewest tiles a product is cut into when it has the columns for it (so two or more threads stay balanced).</summary>
    const int MinTiles = 8;

    /// <summary>The micro-kernel GEMMs run on here ("avx512 12x32", "avx2+fma 6x16" or "scalar"), for benchmark and report lines.</summary>
    public static string KernelName => Kernel switch
    {
        GemmKernelKind.Avx512 => "avx512 12x32",
        GemmKernelKind.Avx2Fma => "avx2+fma 6x16",
        _ => "scalar",
    };

    static readonly AsyncLocal<GemmKernelKind?> KernelOverride = new();

    /// <summary>The micro-kernel in use: the best this CPU supports, unless <see cref="UseKernel"/> overrides it.</summary>
    internal static GemmKernelKind Kernel => KernelOverride.Value ?? BestKernel;

    /// <summary>The fastest kernel this CPU runs; the environment variable KANDINSKY_GEMM_KERNEL (scalar, avx2) can pick a slower one.</summary>
    internal static readonly GemmKernelKind BestKernel = ChooseKernel(Environment.GetEnvironmentVariable("KANDINSKY_GEMM_KERNEL"));

    static GemmKernelKind ChooseKernel(string? requested)
    {
        var best = MicroKernel.Avx512.IsSupported ? GemmKernelKind.Avx512
            : MicroKernel.Avx2Supported ? GemmKernelKind.Avx2Fma
            : GemmKernelKind.Scalar;
        var wanted = requested?.ToLowerInvariant() switch
        {
            "scalar" => GemmKernelKind.Scalar,
            "avx2" => GemmKernelKind.Avx2Fma,
            _ => best,
        };
        return wanted < best ? wanted : best;
    }

    /// <summary>Runs GEMMs started from this async flow with <paramref name="kind"/> (tests of the fallback) until disposed.</summary>
    internal static IDisposable UseKernel(GemmKernelKind kind)
    {
        var previous = KernelOverride.Value;
        KernelOverride.Value = kind;
        return new KernelScope(previous);
    }

    sealed class KernelScope(GemmKernelKind? previous) : IDisposable
    {
        public void Dispose() => KernelOverride.Value = previous;
    }

    /// <summary>This thread's A packing buffer.</summary>
    [ThreadStatic] static float[]? t_aBuffer;

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C, row-major with leading dimensions: op(A) is m × k (A stored k × m when
    /// <paramref name="transA"/>), op(B) is k × n (B stored n × k when <paramref name="transB"/>). Packs B on
    /// every call; use <see cref="Run"/> with a <see cref="PackedB"/> for weights.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm.Sgemm: sizes must be non-negative, got m={m}, n={n}, k={k}.");
        if (lda < (transA ? m : k) || ldb < (transB ? k : n) || ldc < n)
            throw new ArgumentException($"Gemm.Sgemm: leading dimensions too small for m={m}, n={n}, k={k} (transA={transA}, transB={transB}): lda={lda}, ldb={ldb}, ldc={ldc}.");
        if (m == 0 || n == 0) return;
        long rowStride = transB ? 1 : ldb, colStride = transB ? ldb : 1;
        var src = new StridedA(a, transA ? 1 : lda, transA ? lda : 1);
        long length = PackedB.PackedLength(k, n);
        if (length > SmallPackLength)
        {
            using var packed = PackedB.Pack(b, k, n, rowStride, colStride);
            Run(src, m, packed, c, ldc, alpha, beta);
            return;
        }
        // Small B: pack into this thread's scratch instead of allocating native memory per call.
        float* buffer = ThreadScratch.Get(ref t_bBuffer, SmallPackLength);
        Run(src, m, PackedB.PackInto(buffer, length, b, DType.F32, k, n, rowStride, colStride), c, ldc, alpha, beta);
    }

    /// <summary>Largest B (in floats, 256 KiB) that <see cref="Sgemm"/> packs into per-thread scratch.</summary>
    const int SmallPackLength = 64 * 1024;
    [ThreadStatic] static float[]? t_bBuffer;

    /// <summary>
    /// C[i, j] = alpha·Σₚ A[i, p]·B[p, j] + beta·C[i, j] + bias[j] for i &lt; <paramref name="m"/>, on
    /// <see cref="Parallelism.Threads"/> threads over output tiles. C element (i, j) is at c[i·ldc + j·cColStride]
    /// (cColStride ≠ 1 writes a transposed output). beta = 0 ignores C's old contents (NaNs included);
    /// <paramref name="bias"/> (length N, may be null) is added once.
    /// </summary>
    public static void Run(GemmASource a, int m, PackedB b, float* c, long ldc,
        float alpha = 1f, float beta = 0f, float* bias = null, long cColStride = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        if (m == 0 || b.N == 0) return;
        nint cp = (nint)c, biasp = (nint)bias;
        // With several column chunks per row block, pack A once up front instead of once per chunk.
        bool packUpFront = b.N > ColumnChunk(m, b.N) && b.K > 0;
        long aBytes = PackedALength(m, b.K) * sizeof(float);
        float* aPacked = packUpFront ? (float*)NativeBlockPool.Rent(aBytes) : null;
        nint ap = (nint)aPacked;
        try
        {
            if (packUpFront) PackA(a, m, b, aPacked);
            Parallelism.For(TileCount(m, b.N), t => RunTile(t, a, m, b, (float*)cp, ldc, alpha, beta, (float*)biasp, cColStride, (float*)ap));
        }
        finally
        {
            NativeBlockPool.Return(aPacked, aBytes);
        }
    }

    static long PackedALength(int m, int k) => (long)RowBlocks(m) * RowChunk(m) * k;

    /// <summary>How many independent output tiles <see cref="Run"/> splits an m × n product into (depends on the shape only).</summary>
    internal static int TileCount(int m, int n)
    {
        int nc = ColumnChunk(m, n);
        return RowBlocks(m) * ((n + nc - 1) / nc);
    }

    /// <summary>Rows per tile (a multiple of MR): M cut evenly into blocks of at most <see cref="MC"/>, so no thin last block unbalances the threads.</summary>
    static int RowChunk(int m) => EvenChunk(m, (m + MC - 1) / MC, MR);

    /// <summary>Row blocks of <see cref="RowChunk"/> rows.</summary>
    static int RowBlocks(int m) => (m + RowChunk(m) - 1) / RowChunk(m);

    /// <summary><paramref name="total"/> cut into <paramref name="parts"/> (at least one) nearly equal chunks, each rounded up to a multiple of <paramref name="multiple"/>: the chunk size.</summary>
    static int EvenChunk(int total, int parts, int multiple)
    {
        parts = Math.Max(1, parts);
        return ((total + parts - 1) / parts + multiple - 1) / multiple * multiple;
    }

    /// <summary>Columns per tile (a multiple of NR, depending on the shape only): N cut evenly into chunks of at most <see cref="MaxNC"/>, or into more when the row blocks alone give fewer than <see cref="MinTiles"/> tiles.</summary>
    static int ColumnChunk(int m, int n)
    {
        int rowBlocks = Math.Max(1, RowBlocks(m));
        int chunks = Math.Max((n + MaxNC - 1) / MaxNC, (MinTiles + rowBlocks - 1) / rowBlocks);
        return EvenChunk(n, Math.Min(chunks, (n + NR - 1) / NR), NR);
    }

    /// <summary>
    /// Output tile <paramref name="t"/> of <see cref="TileCount"/>, for callers that schedule several GEMMs at once.
    /// <paramref name="aPacked"/> is A from <see cref="PackA"/>, or null to pack A inside the tile.
    /// </summary>
    internal static void RunTile(int t, GemmASource a, int m, PackedB b, float* c, long ldc,
        float alpha, float beta, float* bias, long cColStride, float* aPacked = null)
    {
        int nc = ColumnChunk(m, b.N), nChunks = (b.N + nc - 1) / nc;
        int mc = RowChunk(m), mb = t / nChunks, i0 = mb * mc, j0 = t % nChunks * nc;
        float* aBlock = aPacked == null ? null : aPacked + (long)mb * mc * b.K;
        Tile(a, b, c, ldc, cColStride, alpha, beta, bias, i0, Math.Min(m, i0 + mc), j0, Math.Min(b.N, j0 + nc), aBlock);
    }

    /// <summary>
    /// All of A packed (in parallel) into <paramref name="packed"/> (<see cref="PackedALength"/> floats) for the K
    /// blocks of <paramref name="b"/>: row block mb (of <see cref="RowChunk"/> rows), K block kb at mb·rows·K + BlockStart(kb)·(block rows rounded up to MR).
    /// </summary>
    static void PackA(GemmASource a, int m, PackedB b, float* packed)
    {
        int kBlocks = b.KBlocks, k = b.K;
        nint p = (nint)packed;
        int mc = RowChunk(m);
        Parallelism.For(RowBlocks(m) * kBlocks, t =>
        {
            int mb = t / kBlocks, kb = t % kBlocks;
            int rows = Math.Min(mc, m - mb * mc), rowsPadded = (rows + MR - 1) / MR * MR;
            a.Pack(mb * mc, rows, b.BlockStart(kb), b.BlockDepth(kb), (float*)p + (long)mb * mc * k + (long)b.BlockStart(kb) * rowsPadded);
        });
    }

    /// <summary>
    /// <see cref="Run"/> restricted to output rows [rowStart, rowEnd), on the calling thread only. C row i is
    /// still at c + i·ldc. Row ranges may be split anywhere: each element's value does not depend on the split.
    /// </summary>
    public static void RunRows(GemmASource a, int rowStart, int rowEnd, PackedB b, float* c, long ldc,
        float alpha = 1f, float beta = 0f, float* bias = null, long cColStride = 1)
    {
        if (rowStart < 0 || rowEnd < rowStart)
            throw new ArgumentException($"Gemm.RunRows: invalid row range [{rowStart}, {rowEnd}).");
        for (int i0 = rowStart; i0 < rowEnd; i0 += MC)
            Tile(a, b, c, ldc, cColStride, alpha, beta, bias, i0, Math.Min(rowEnd, i0 + MC), 0, b.N, null);
    }

    /// <summary>
    /// One output tile: rows [i0, i1) (at most MC), columns [j0, j1) with j0 a multiple of NR. A comes from
    /// <paramref name="aBlock"/> (this row block of <see cref="PackA"/>'s layout) or is packed here when null.
    /// The K blocks accumulate in a private buffer whose row stride is not a multiple of 4 KiB (a C row stride
    /// like 2048 floats puts all twelve rows of a micro-tile in one L1 set, about 12% of the time), and every
    /// micro-tile there is a full one; C is written once at the end: C = alpha·AB + beta·C + bias.
    /// </summary>
    static void Tile(GemmASource a, PackedB b, float* c, long ldc, long cs, float alpha, float beta, float* bias,
        int i0, int i1, int j0, int j1, float* aBlock)
    {
        int rows = i1 - i0;
        if (rows <= 0 || j1 <= j0) return;
        int panelsM = (rows + MR - 1) / MR, width = (j1 - j0 + NR - 1) / NR * NR, ldb = width + 16;
        float* acc = ThreadScratch.Get(ref t_tileBuffer, (long)panelsM * MR * ldb);
        if (b.K == 0) new Span<float>(acc, panelsM * MR * ldb).Clear();
        float* abuf = aBlock == null ? ThreadScratch.Get(ref t_aBuffer, panelsM * MR * KC) : null;
        var kernel = Kernel;
        for (int kb = 0; kb < b.KBlocks; kb++)
        {
            int kc = b.BlockDepth(kb);
            if (aBlock == null) a.Pack(i0, rows, b.BlockStart(kb), kc, abuf);
            else abuf = aBlock + (long)b.BlockStart(kb) * panelsM * MR;
            for (int jp = j0 / NR; jp * NR < j1; jp++)
            {
                float* bp = b.Panel(kb, jp);
                for (int q = 0; q < panelsM; q++)
                    MicroTile(kernel, kc, abuf + (long)q * MR * kc, bp, acc + (long)q * MR * ldb + (jp * NR - j0),
                        ldb, accumulate: kb > 0, Math.Min(MR, rows - q * MR));
            }
        }
        WriteBack(acc, ldb, c + i0 * ldc + j0 * cs, ldc, cs, rows, j1 - j0, alpha, beta, bias == null ? null : bias + j0);
    }

    /// <summary>
    /// The first <paramref name="rows"/> rows of an MR × NR tile (A panel kc × MR, B panel kc × NR) on the
    /// <see cref="MicroKernel"/> bodies: half the AVX-512 work when rows ≤ 6 (the M tail), four 6×16 passes on AVX2.
    /// </summary>
    static void MicroTile(GemmKernelKind kind, int kc, float* a, float* b, float* c, nint ldc, bool accumulate, int rows)
    {
        const int half = MR / 2;
        switch (kind)
        {
            case GemmKernelKind.Avx512 when rows <= half:
                MicroKernel.Avx512Body<StridedB, TopHalfRows>(kc, a, MR, new StridedB(b, NR, NR / 2), c, ldc, accumulate);
                break;
            case GemmKernelKind.Avx512:
                MicroKernel.Avx512Body<StridedB, AllRows>(kc, a, MR, new StridedB(b, NR, NR / 2), c, ldc, accumulate);
                break;
            case GemmKernelKind.Avx2Fma:
                for (int r0 = 0; r0 < rows; r0 += half)
                    for (int j0 = 0; j0 < NR; j0 += NR / 2)
                        MicroKernel.Avx2Body(kc, a + r0, MR, new StridedB(b + j0, NR, NR / 4), c + r0 * ldc + j0, ldc, accumulate);
                break;
            default:
                MicroKernel.PortableBody(kc, a, MR, new StridedB(b, NR, NR / 2), c, ldc, rows, NR, accumulate);
                break;
        }
    }

    /// <summary>C = alpha·acc + beta·C + bias over a rows × cols tile (beta = 0 ignores C's old contents, NaNs included).</summary>
    static void WriteBack(float* acc, int lda, float* c, long ldc, long cs, int rows, int cols, float alpha, float beta, float* bias)
    {
        var biasSpan = bias == null ? default : new ReadOnlySpan<float>(bias, cols);
        for (int i = 0; i < rows; i++)
        {
            var src = new Span<float>(acc + (long)i * lda, cols);
            float* row = c + i * ldc;
            if (alpha != 1f) TensorPrimitives.Multiply(src, alpha, src);
            if (cs == 1)
            {
                var dst = new Span<float>(row, cols);
                if (beta == 0f) src.CopyTo(dst);
                else if (beta == 1f) TensorPrimitives.Add(src, dst, dst);
                else TensorPrimitives.MultiplyAdd(dst, beta, src, dst);
                if (bias != null) TensorPrimitives.Add(dst, biasSpan, dst);
                continue;
            }
            for (int j = 0; j < cols; j++)
            {
                ref float cij = ref row[j * cs];
                float v = beta == 0f ? src[j] : beta == 1f ? src[j] + cij : MathF.FusedMultiplyAdd(cij, beta, src[j]);
                cij = bias == null ? v : v + bias[j];
            }
        }
    }

    /// <summary>This thread's tile accumulator (see <see cref="Tile"/>).</summary>
    [ThreadStatic] static float[]? t_tileBuffer;
}

/// <summary>Which <see cref="MicroKernel"/> body the GEMM driver calls on its <see cref="Gemm.MR"/>×<see cref="Gemm.NR"/> panel layout.</summary>
internal enum GemmKernelKind { Scalar, Avx2Fma, Avx512 }
