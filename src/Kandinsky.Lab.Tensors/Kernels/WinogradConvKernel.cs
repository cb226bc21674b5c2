using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// A 3×3 Conv2d weight [O, C, 3, 3] transformed for Winograd F(2×2, 3×3): U = G·g·Gᵀ per (o, c), 16 components ξ,
/// packed as A panels for a <see cref="MicroKernel"/>: for each ξ, ⌈O/MR⌉ panels of [C][MR] (zero rows past O).
/// Each U element is computed in double and rounded once.
/// </summary>
internal sealed unsafe class WinogradWeight(MicroKernel kernel, int outChannels, int inChannels, Tensor panels)
{
    public MicroKernel Kernel => kernel;
    public int OutChannels => outChannels;
    public int InChannels => inChannels;
    /// <summary>Output-channel panels of MR rows per component.</summary>
    public int PanelCount => (outChannels + kernel.MR - 1) / kernel.MR;
    /// <summary>[16][PanelCount][C][MR] floats.</summary>
    public Tensor Panels => panels;

    /// <summary>Component <paramref name="xi"/>'s panel <paramref name="p"/> from input channel <paramref name="c0"/> on (MR floats per channel).</summary>
    public float* Panel(int xi, int p, int c0) => panels.Data + (((long)xi * PanelCount + p) * inChannels + c0) * kernel.MR;
}

/// <summary>
/// Stride-1 3×3 Conv2d by Winograd F(2×2, 3×3) (Lavin and Gray, 2016): each 2×2 block of outputs ("tile") is
/// Aᵀ·[Σ_c U(o, c) ⊙ V(c, tile)]·A with V = Bᵀ·d·B over the tile's 4×4 input patch d, so the reduction over input
/// channels becomes 16 independent GEMMs M_ξ[O, tiles] = U_ξ[O, C]·V_ξ[C, tiles] with 16 multiplications per tile
/// instead of 36: 2.25× fewer FLOPs than the direct convolution. The transforms only add and subtract (Bᵀ, Aᵀ)
/// or halve (G, applied once to the weights in double), so the result stays within float32 rounding of the direct
/// sum. Three passes per chunk of tile rows (input transform, GEMMs, output transform) each split over independent
/// outputs, and every value is computed in one fixed order, so results are bit-identical for any thread count.
/// </summary>
internal static unsafe class WinogradConvKernel
{
    /// <summary>
    /// Most input channels per GEMM pass. Every pass after the first reloads each micro-tile of M, which stalls its FMA
    /// chains, so the UNet's 384 and 768 channels go in one pass (2×768×32×32: 32 ms with 256-channel passes, 28 ms
    /// with one; the V panel then streams from L2).
    /// </summary>
    const int KC = 768;
    /// <summary>Output channels per GEMM task: its U block (rows × KC) and M tile stay in L2.</summary>
    const int GroupRows = 192;
    /// <summary>Tiles per GEMM task.</summary>
    const int GroupColumns = 512;
    /// <summary>
    /// Most V + M scratch (bytes) per chunk of tile rows (settable so tests can force chunks; results do not depend
    /// on it). A chunk's V and M make a round trip to memory unless they stay in L3, while every chunk re-reads all
    /// of U: chunks hold about twice U's bytes, at least <see cref="MinChunkBytes"/> (1×128×512×512: 300 ms with
    /// 64 MiB chunks, 155 ms with 8 MiB; 2×768×32×32, U = 42 MB: 35 ms whole, 51 ms in 8 MiB chunks).
    /// </summary>
    internal static long MaxChunkBytes { get; set; } = 64L << 20;
    const long MinChunkBytes = 8L << 20;
    /// <summary>Fewest output tiles (per weight) for which the transforms pay off.</summary>
    const int MinTiles = 256;
    /// <summary>Fewest input and output channels: below about 64 the transforms and the V and M traffic cost what the GEMMs save.</summary>
    const int MinChannels = 64;
    /// <summary>Largest C·O: the transformed weights are 16/9 the size of the direct ones, so big layers (whose small images are bandwidth-bound anyway) stay direct.</summary>
    const long MaxWeights = 1024L * 1024;

    static readonly WeightPackCache<WinogradWeight> Cache = new();

    /// <summary>Whether a convolution of this geometry goes through Winograd (enough tiles and channels to pay for the transforms).</summary>
    public static bool Applies(int inChannels, int outChannels, int kh, int kw, int stride, int batch, int outH, int outW) =>
        kh == 3 && kw == 3 && stride == 1 && inChannels >= MinChannels && outChannels >= MinChannels && (long)inChannels * outChannels <= MaxWeights
        && (long)batch * ((outH + 1) / 2) * ((outW + 1) / 2) >= MinTiles;

    /// <summary>The transformed form of <paramref name="weight"/>, cached like <see cref="ConvKernel.PackedFor"/>.</summary>
    public static WinogradWeight TransformedFor(Tensor weight, MicroKernel kernel)
    {
        _ = weight.RawPointer; // throws when the weight was disposed, even if a transformed copy is cached
        if (kernel != MicroKernel.Best) return Transform(weight, kernel);
        return Cache.GetOrPack(weight, w => Transform(w, MicroKernel.Best));
    }

    public static void Forget(Tensor weight) => Cache.Forget(weight);

    internal static void ClearCache() => Cache.Clear();

    public static WinogradWeight Transform(Tensor weight, MicroKernel kernel)
    {
        int o = weight.Size(0), c = weight.Size(1), mr = kernel.MR, panels = (o + mr - 1) / mr;
        if (weight.Size(2) != 3 || weight.Size(3) != 3)
            throw Tensor.ShapeError("WinogradConvKernel.Transform", $"weight {weight.ShapeString} must be [O, C, 3, 3].");
        using var w = weight.ToFloat32();
        var packed = Tensor.Zeros(checked(16 * panels * c * mr));
        float* src = w.Data, dst = packed.Data;
        Parallelism.For(o, oc =>
        {
            int p = oc / mr, r = oc % mr;
            double* u = stackalloc double[16];
            for (int ci = 0; ci < c; ci++)
            {
                TransformKernel(src + ((long)oc * c + ci) * 9, u);
                for (int xi = 0; xi < 16; xi++) dst[(((long)xi * panels + p) * c + ci) * mr + r] = (float)u[xi];
            }
        });
        return new WinogradWeight(kernel, o, c, packed);
    }

    /// <summary>U = G·g·Gᵀ for one 3×3 kernel g (row-major), G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].</summary>
    static void TransformKernel(float* g, double* u)
    {
        double* t = stackalloc double[12];
        for (int j = 0; j < 3; j++)
        {
            double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[j] = g0;
            t[3 + j] = (g0 + g1 + g2) * 0.5;
            t[6 + j] = (g0 - g1 + g2) * 0.5;
            t[9 + j] = g2;
        }
        for (int i = 0; i < 4; i++)
        {
            double a = t[3 * i], b = t[3 * i + 1], d = t[3 * i + 2];
            u[4 * i] = a;
            u[4 * i + 1] = (a + b + d) * 0.5;
            u[4 * i + 2] = (a - b + d) * 0.5;
            u[4 * i + 3] = d;
        }
    }

    /// <summary>Y = conv2d(X, W, padding) + bias, stride 1, into <paramref name="y"/> [N, O, OH, OW]; X float32 [N, C, H, W], any strides.</summary>
    public static void Conv2d(Tensor input, WinogradWeight weight, float* bias, int padding, Tensor y)
    {
        var job = new Job(input, weight, bias, padding, y);
        float* padded = (float*)NativeBlockPool.Rent(job.PaddedBytes);
        float* v = null, m = null;
        try
        {
            v = (float*)NativeBlockPool.Rent(job.VBytes);
            m = (float*)NativeBlockPool.Rent(job.MBytes);
            job.Attach(padded, v, m);
            Parallelism.For(job.PaddedPlanes, job.PadPlane);
            for (int r0 = 0; r0 < job.TileRows; r0 += job.ChunkRows)
            {
                job.StartChunk(r0);
                Parallelism.For(job.InChannels, job.TransformInput);
                Parallelism.For(job.GemmTasks, job.Multiply);
                Parallelism.For(job.OutChannels, job.TransformOutput);
            }
        }
        finally
        {
            NativeBlockPool.Return(m, job.MBytes);
            NativeBlockPool.Return(v, job.VBytes);
            NativeBlockPool.Return(padded, job.PaddedBytes);
        }
    }

    /// <summary>One call: geometry, buffers and the three passes. Tile rows (image, ty) are numbered over all images.</summary>
    sealed class Job
    {
        readonly float* _x, _y, _bias;
        readonly long _sN, _sC, _sH, _sW;
        readonly int _c, _o, _h, _w, _oh, _ow, _pad, _th, _tw, _hp, _wh, _mr, _nr, _panelsO;
        readonly WinogradWeight _weight;
        readonly MicroKernel _kernel;
        float* _padded, _v, _m;
        // The current chunk: tile rows [_r0, _r0 + _rows), _tiles tiles in _tilePanels panels of NR.
        int _r0, _rows, _tiles, _tilePanels, _ldm;

        public Job(Tensor x, WinogradWeight weight, float* bias, int padding, Tensor y)
        {
            _x = x.Data;
            _sN = x.Stride(0); _sC = x.Stride(1); _sH = x.Stride(2); _sW = x.Stride(3);
            _c = x.Size(1); _h = x.Size(2); _w = x.Size(3);
            _y = y.Data;
            _o = y.Size(1); _oh = y.Size(2); _ow = y.Size(3);
            _bias = bias;
            _pad = padding;
            _weight = weight;
            _kernel = weight.Kernel;
            _mr = _kernel.MR;
            _nr = _kernel.NR;
            _panelsO = weight.PanelCount;
            _th = (_oh + 1) / 2;
            _tw = (_ow + 1) / 2;
            _hp = 2 * _th + 2;
            _wh = _tw + 1;
            TileRows = x.Size(0) * _th;
            PaddedPlanes = x.Size(0) * _c;
            PaddedBytes = (long)PaddedPlanes * _hp * 2 * _wh * sizeof(float);
            // V [16][tile panels][C][NR] and M [16][O rounded to MR][tiles + 16] per chunk, within the chunk budget.
            long bytesPerRow = 16L * _tw * (_c + _panelsO * _mr) * sizeof(float);
            long chunkBytes = Math.Min(MaxChunkBytes, Math.Max(MinChunkBytes, 2 * weight.Panels.Count * sizeof(float)));
            ChunkRows = (int)Math.Clamp(chunkBytes / bytesPerRow, 1, TileRows);
            int maxTiles = ChunkRows * _tw, maxPanels = (maxTiles + _nr - 1) / _nr;
            VBytes = 16L * maxPanels * _c * _nr * sizeof(float);
            MBytes = 16L * _panelsO * _mr * (maxPanels * _nr + 16) * sizeof(float);
        }

        public int TileRows { get; }
        public int ChunkRows { get; }
        public int PaddedPlanes { get; }
        public long PaddedBytes { get; }
        public long VBytes { get; }
        public long MBytes { get; }
        public int InChannels => _c;
        public int OutChannels => _o;
        int GroupPanels => Math.Max(1, GroupRows / _mr);
        int ColumnPanels => Math.Max(1, GroupColumns / _nr);
        int Groups => (_panelsO + GroupPanels - 1) / GroupPanels;
        int ColumnBlocks => (_tilePanels + ColumnPanels - 1) / ColumnPanels;
        public int GemmTasks => 16 * Groups * ColumnBlocks;

        public void Attach(float* padded, float* v, float* m)
        {
            _padded = padded;
            _v = v;
            _m = m;
        }

        public void StartChunk(int r0)
        {
            _r0 = r0;
            _rows = Math.Min(ChunkRows, TileRows - r0);
            _tiles = _rows * _tw;
            _tilePanels = (_tiles + _nr - 1) / _nr;
            _ldm = _tilePanels * _nr + 16; // not a multiple of 4 KiB for power-of-two tile counts
        }

        /// <summary>
        /// The zero-padded plane of channel ci in image n (plane = n·C + ci), each row split into even and odd
        /// columns: [N][C][2·TH + 2][even | odd][TW + 1], so the input transform reads whole vectors of tiles.
        /// </summary>
        public void PadPlane(int plane)
        {
            int image = plane / _c, ci = plane % _c;
            float* to = _padded + (long)plane * _hp * 2 * _wh;
            for (int yy = 0; yy < _hp; yy++, to += 2 * _wh)
            {
                int iy = yy - _pad;
                if ((uint)iy >= (uint)_h)
                {
                    new Span<float>(to, 2 * _wh).Clear();
                    continue;
                }
                float* from = _x + image * _sN + ci * _sC + iy * _sH;
                for (int i = 0; i < _wh; i++)
                {
                    int xe = 2 * i - _pad, xo = xe + 1;
                    to[i] = (uint)xe < (uint)_w ? from[xe * _sW] : 0f;
                    to[_wh + i] = (uint)xo < (uint)_w ? from[xo * _sW] : 0f;
                }
            }
        }

        /// <summary>Even columns of padded row yy of channel ci in image n (the odd ones follow at + TW + 1).</summary>
        float* PaddedRow(int n, int yy, int ci) => _padded + (((long)n * _c + ci) * _hp + yy) * 2 * _wh;

        /// <summary>V_ξ element (ci, tile t of the chunk).</summary>
        float* VAt(int xi, int ci, int t) => _v + (((long)xi * _tilePanels + t / _nr) * _c + ci) * _nr + t % _nr;

        /// <summary>V = Bᵀ·d·B for the chunk's tiles of input channel <paramref name="unit"/>, eight tiles at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformInput(int unit)
        {
            int ci = unit;
            var v = stackalloc Vector256<float>[16];
            float* lanes = stackalloc float[8], tail = stackalloc float[4 * 2 * 9];
            long planeStride = (long)_tilePanels * _c * _nr;
            for (int rr = 0; rr < _rows; rr++)
            {
                int row = _r0 + rr, n = row / _th, ty = row % _th, t0 = rr * _tw;
                float* r0 = PaddedRow(n, 2 * ty, ci), r1 = PaddedRow(n, 2 * ty + 1, ci), r2 = PaddedRow(n, 2 * ty + 2, ci), r3 = PaddedRow(n, 2 * ty + 3, ci);
                for (int tx = 0; tx < _tw; tx += 8)
                {
                    int count = Math.Min(8, _tw - tx);
                    if (count == 8)
                    {
                        InputTile(r0 + tx, r1 + tx, r2 + tx, r3 + tx, _wh, v);
                    }
                    else
                    {
                        // Tail: the same arithmetic on a zero-extended copy of the last tiles' columns.
                        new Span<float>(tail, 4 * 2 * 9).Clear();
                        CopyTail(r0, tail, tx, count);
                        CopyTail(r1, tail + 18, tx, count);
                        CopyTail(r2, tail + 36, tx, count);
                        CopyTail(r3, tail + 54, tx, count);
                        InputTile(tail, tail + 18, tail + 36, tail + 54, 9, v);
                    }
                    int t = t0 + tx;
                    if (count == 8 && t % _nr + 8 <= _nr)
                    {
                        float* dst = VAt(0, ci, t);
                        for (int xi = 0; xi < 16; xi++) v[xi].Store(dst + xi * planeStride);
                        continue;
                    }
                    for (int xi = 0; xi < 16; xi++)
                    {
                        v[xi].Store(lanes);
                        for (int j = 0; j < count; j++) *VAt(xi, ci, t + j) = lanes[j];
                    }
                }
            }
            // Columns past the chunk's last tile are zero (each column of a GEMM is independent, but keep them finite).
            if (_tiles % _nr != 0)
                for (int xi = 0; xi < 16; xi++)
                    new Span<float>(VAt(xi, ci, _tiles), _nr - _tiles % _nr).Clear();
        }

        /// <summary>Even then odd columns [tx, tx + count] of one padded row into 9 + 9 floats.</summary>
        void CopyTail(float* row, float* to, int tx, int count)
        {
            for (int j = 0; j <= count; j++)
            {
                to[j] = row[tx + j];
                to[9 + j] = row[_wh + tx + j];
            }
        }

        /// <summary>
        /// Bᵀ·d·B for eight tiles. Row i of d starts at r_i (even padded columns; the odd ones at + odd): d's columns
        /// are even (e), odd (o), next even (e′) and next odd (o′) values. Rows combine first (d0 − d2, d1 + d2,
        /// d2 − d1, d1 − d3), then columns the same way.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void InputTile(float* r0, float* r1, float* r2, float* r3, nint odd, Vector256<float>* v)
        {
            Vector256<float> e0 = Vector256.Load(r0), e1 = Vector256.Load(r1), e2 = Vector256.Load(r2), e3 = Vector256.Load(r3);
            Vector256<float> o0 = Vector256.Load(r0 + odd), o1 = Vector256.Load(r1 + odd), o2 = Vector256.Load(r2 + odd), o3 = Vector256.Load(r3 + odd);
            Vector256<float> f0 = Vector256.Load(r0 + 1), f1 = Vector256.Load(r1 + 1), f2 = Vector256.Load(r2 + 1), f3 = Vector256.Load(r3 + 1);
            Vector256<float> p0 = Vector256.Load(r0 + odd + 1), p1 = Vector256.Load(r1 + odd + 1), p2 = Vector256.Load(r2 + odd + 1), p3 = Vector256.Load(r3 + odd + 1);
            Columns(e0 - e2, o0 - o2, f0 - f2, p0 - p2, v);
            Columns(e1 + e2, o1 + o2, f1 + f2, p1 + p2, v + 4);
            Columns(e2 - e1, o2 - o1, f2 - f1, p2 - p1, v + 8);
            Columns(e1 - e3, o1 - o3, f1 - f3, p1 - p3, v + 12);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Columns(Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3, Vector256<float>* to)
        {
            to[0] = c0 - c2;
            to[1] = c1 + c2;
            to[2] = c2 - c1;
            to[3] = c1 - c3;
        }

        /// <summary>M_ξ[o rows of a group, tiles of a column block] = U_ξ·V_ξ, accumulated over channel blocks in M.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Multiply(int task)
        {
            int cb = task % ColumnBlocks, rest = task / ColumnBlocks, group = rest % Groups, xi = rest / Groups;
            int p0 = group * GroupPanels, p1 = Math.Min(_panelsO, p0 + GroupPanels);
            int j0 = cb * ColumnPanels, j1 = Math.Min(_tilePanels, j0 + ColumnPanels);
            float* m = _m + (long)xi * _panelsO * _mr * _ldm;
            int passes = (_c + KC - 1) / KC, depth = (_c + passes - 1) / passes; // even passes: no thin last one
            for (int c0 = 0; c0 < _c; c0 += depth)
            {
                int kc = Math.Min(depth, _c - c0);
                for (int jp = j0; jp < j1; jp++)
                {
                    float* b = _v + (((long)xi * _tilePanels + jp) * _c + c0) * _nr;
                    for (int p = p0; p < p1; p++)
                        _kernel.Run(kc, _weight.Panel(xi, p, c0), _mr, b, _nr, m + (long)p * _mr * _ldm + jp * _nr, _ldm, _mr, _nr, accumulate: c0 > 0);
                }
            }
        }

        /// <summary>Y = Aᵀ·M·A (+ bias) for the chunk's tiles of output channel <paramref name="unit"/>, Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TransformOutput(int unit)
        {
            int oc = unit;
            float* y0 = stackalloc float[16], y1 = stackalloc float[16];
            var mv = stackalloc Vector256<float>[16];
            long planeStride = (long)_panelsO * _mr * _ldm;
            var bias = Vector256.Create(_bias == null ? 0f : _bias[oc]);
            for (int rr = 0; rr < _rows; rr++)
            {
                int row = _r0 + rr, n = row / _th, ty = row % _th;
                bool secondRow = 2 * ty + 1 < _oh;
                float* mRow = _m + (long)oc * _ldm + rr * _tw;
                float* out0 = _y + (((long)n * _o + oc) * _oh + 2 * ty) * _ow, out1 = out0 + _ow;
                for (int tx = 0; tx < _tw; tx += 8)
                {
                    int count = Math.Min(8, _tw - tx);
                    // Past the row's last tile M holds the next row's tiles (or padding): computed, never stored.
                    for (int xi = 0; xi < 16; xi++) mv[xi] = Vector256.Load(mRow + xi * planeStride + tx);
                    var (a0, a1) = OutputRow(mv[0] + mv[4] + mv[8], mv[1] + mv[5] + mv[9], mv[2] + mv[6] + mv[10], mv[3] + mv[7] + mv[11]);
                    var (b0, b1) = OutputRow(mv[4] - mv[8] - mv[12], mv[5] - mv[9] - mv[13], mv[6] - mv[10] - mv[14], mv[7] - mv[11] - mv[15]);
                    a0 += bias; a1 += bias; b0 += bias; b1 += bias;
                    int x0 = 2 * tx;
                    if (count == 8 && x0 + 16 <= _ow && Avx.IsSupported)
                    {
                        Interleave(a0, a1, out0 + x0);
                        if (secondRow) Interleave(b0, b1, out1 + x0);
                        continue;
                    }
                    a0.Store(y0); a1.Store(y0 + 8); b0.Store(y1); b1.Store(y1 + 8);
                    for (int j = 0; j < count; j++)
                    {
                        int x = x0 + 2 * j;
                        out0[x] = y0[j];
                        if (secondRow) out1[x] = y1[j];
                        if (x + 1 < _ow)
                        {
                            out0[x + 1] = y0[8 + j];
                            if (secondRow) out1[x + 1] = y1[8 + j];
                        }
                    }
                }
            }
        }

        /// <summary>The two output columns of eight tiles from one row of Aᵀ·M (its four columns).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static (Vector256<float> Even, Vector256<float> Odd) OutputRow(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3) =>
            (s0 + s1 + s2, s1 - s2 - s3);

        /// <summary>Stores even[0], odd[0], even[1], odd[1], … (16 floats).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Interleave(Vector256<float> even, Vector256<float> odd, float* to)
        {
            var lo = Avx.UnpackLow(even, odd);   // e0 o0 e1 o1 | e4 o4 e5 o5
            var hi = Avx.UnpackHigh(even, odd);  // e2 o2 e3 o3 | e6 o6 e7 o7
            Avx.Permute2x128(lo, hi, 0x20).Store(to);
            Avx.Permute2x128(lo, hi, 0x31).Store(to + 8);
        }
    }
}
