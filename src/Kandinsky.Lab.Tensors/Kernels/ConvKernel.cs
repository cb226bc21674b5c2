using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Conv2d weights [O, C, kh, kw] as float32 A panels for a <see cref="MicroKernel"/>: ⌈O/MR⌉ panels of
/// [K][MR] with K = C·kh·kw in (c, ky, kx) order and zero rows past O. F16/BF16 weights are converted here, once.
/// </summary>
internal sealed unsafe class PackedConvWeight
{
    public PackedConvWeight(MicroKernel kernel, int outChannels, int inChannels, int kh, int kw, Tensor panels)
    {
        Kernel = kernel;
        OutChannels = outChannels;
        InChannels = inChannels;
        KernelH = kh;
        KernelW = kw;
        Panels = panels;
    }

    public MicroKernel Kernel { get; }
    public int OutChannels { get; }
    public int InChannels { get; }
    public int KernelH { get; }
    public int KernelW { get; }
    /// <summary>Reduction length C·kh·kw.</summary>
    public int K => InChannels * KernelH * KernelW;
    /// <summary>[⌈O/MR⌉·K·MR] floats (channels [p·MR, p·MR + MR) start at float p·MR·K); freed with this object (the storage has a finalizer).</summary>
    public Tensor Panels { get; }
}

/// <summary>
/// Conv2d (groups = 1) as an implicit GEMM: Y[n][O, P] = W[O, K] · im2col(X[n])[K, P] with P = OH·OW.
/// Weights are packed once per weight tensor (a weak cache keyed by the tensor object); the im2col
/// operand is built per output tile in blocks of <see cref="KC"/> rows (never the whole image: scratch is
/// the tile, a few MB at most, at any image size). Output tiles (channel group × column block, columns running
/// over all images) are the unit of threading and accumulate in a private buffer before the bias is added on
/// the way out; every output element is one FMA chain in k order, so results are bit-identical for any
/// thread count.
/// </summary>
internal static unsafe class ConvKernel
{
    /// <summary>
    /// Rows of the im2col block (reduction depth per pass). Each pass after the first reloads the micro-tiles of C,
    /// which stalls their FMA chains, so passes are deep, as in <see cref="Gemm.KC"/> (2×1536×8×8: 32 ms with
    /// 256-deep passes, 27 with 512); the kc × NR micro panel then streams from L2.
    /// </summary>
    const int KC = 512;
    /// <summary>Output channels per inner block: its A block (MB×KC) and C block (MB×NC) stay in L2.</summary>
    const int MB = 192;
    /// <summary>
    /// Target output columns per tile. Wide tiles re-read the weights (often larger than L3) fewer times:
    /// weight traffic is |W|·columns/NC.
    /// </summary>
    const int TargetNC = 512;
    /// <summary>
    /// A tile spans all output channels (each im2col block is packed once and used by every channel: im2col
    /// work is |im2col|·channel groups) unless that leaves fewer tiles than this; then channels are split.
    /// </summary>
    const int MinTiles = 4;

    static readonly WeightPackCache<PackedConvWeight> Cache = new();

    /// <summary>
    /// The packed form of <paramref name="weight"/>, cached for the lifetime of the tensor object when packed
    /// for <see cref="MicroKernel.Best"/>. Weights must not be modified in place after their first use
    /// (call <see cref="Forget"/> if they are).
    /// </summary>
    public static PackedConvWeight PackedFor(Tensor weight, MicroKernel kernel)
    {
        _ = weight.RawPointer; // throws when the weight was disposed, even if a packed copy is cached
        if (kernel != MicroKernel.Best) return Pack(weight, kernel);
        return Cache.GetOrPack(weight, w => Pack(w, MicroKernel.Best));
    }

    /// <summary>Drops the cached packed copies of <paramref name="weight"/> (after an in-place edit).</summary>
    public static void Forget(Tensor weight)
    {
        Cache.Forget(weight);
        WinogradConvKernel.Forget(weight);
    }

    /// <summary>Forgets every cached conv weight pack (packs in use stay alive until their callers finish).</summary>
    internal static void ClearCache()
    {
        Cache.Clear();
        WinogradConvKernel.ClearCache();
    }

    /// <summary>
    /// Y = conv2d(X, W) + bias, choosing the algorithm by geometry: Winograd F(2×2, 3×3) for stride-1 3×3
    /// convolutions over enough tiles (<see cref="WinogradConvKernel.Applies"/>), otherwise the direct or implicit
    /// GEMM on the packed weight. The weight is packed in the form the chosen path needs, on first use.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding, MicroKernel kernel)
    {
        if (!UsesWinograd(input, weight, stride, padding))
            return Conv2d(input, PackedFor(weight, kernel), bias, stride, padding);
        return Winograd(input, WinogradConvKernel.TransformedFor(weight, kernel), bias, padding);
    }

    /// <summary>The algorithm <see cref="Conv2d(Tensor, Tensor, Tensor?, int, int, MicroKernel)"/> takes (see F.Conv2dAlgorithm).</summary>
    public static string Algorithm(Tensor input, Tensor weight, int stride, int padding, MicroKernel kernel)
    {
        if (UsesWinograd(input, weight, stride, padding)) return "winograd F(2x2,3x3)";
        var (_, ow) = OutputSize(input, weight.Size(2), weight.Size(3), stride, padding);
        return DirectConvKernel.Applies(kernel, weight.Size(1), stride, ow) ? "direct" : "implicit gemm";
    }

    /// <summary>Output height and width of a kh × kw convolution of <paramref name="input"/> [N, C, H, W].</summary>
    static (int H, int W) OutputSize(Tensor input, int kh, int kw, int stride, int padding) =>
        ((input.Size(2) + 2 * padding - kh) / stride + 1, (input.Size(3) + 2 * padding - kw) / stride + 1);

    static bool UsesWinograd(Tensor input, Tensor weight, int stride, int padding)
    {
        var (oh, ow) = OutputSize(input, weight.Size(2), weight.Size(3), stride, padding);
        return WinogradConvKernel.Applies(weight.Size(1), weight.Size(0), weight.Size(2), weight.Size(3), stride, input.Size(0), oh, ow);
    }

    /// <summary>Y = conv2d(X, W) + bias (3×3, stride 1) by <see cref="WinogradConvKernel"/>, for any geometry.</summary>
    internal static Tensor Winograd(Tensor input, WinogradWeight weight, Tensor? bias, int padding)
    {
        var (oh, ow) = OutputSize(input, 3, 3, 1, padding);
        var y = Tensor.Empty(input.Size(0), weight.OutChannels, oh, ow);
        if (y.Count == 0) return y;
        using var b = bias == null ? null : F.ContiguousF32(bias);
        WinogradConvKernel.Conv2d(input, weight, b == null ? null : b.Data, padding, y);
        return y;
    }

    public static PackedConvWeight Pack(Tensor weight, MicroKernel kernel)
    {
        int o = weight.Size(0), c = weight.Size(1), kh = weight.Size(2), kw = weight.Size(3);
        int k = c * kh * kw, mr = kernel.MR, panels = (o + mr - 1) / mr;
        using var w = weight.ToFloat32(); // [O, K] contiguous
        var packed = Tensor.Zeros(checked(panels * k * mr));
        float* src = w.Data, dst = packed.Data;
        Parallelism.For(panels, p =>
        {
            for (int r = 0; r < mr && p * mr + r < o; r++)
            {
                float* s = src + (long)(p * mr + r) * k;
                float* d = dst + (long)p * k * mr + r;
                for (int i = 0; i < k; i++) d[(long)i * mr] = s[i];
            }
        });
        return new PackedConvWeight(kernel, o, c, kh, kw, packed);
    }

    /// <summary>
    /// Y = conv2d(X, W) + bias for float32 X [N, C, H, W] with any strides; bias [O] of any dtype. Stride-1
    /// convolutions whose output rows split into whole vector runs go to <see cref="DirectConvKernel"/> (no im2col
    /// copy) unless <paramref name="allowDirect"/> is false; both paths give the same bits.
    /// </summary>
    public static Tensor Conv2d(Tensor input, PackedConvWeight weight, Tensor? bias, int stride, int padding, bool allowDirect = true)
    {
        var (oh, ow) = OutputSize(input, weight.KernelH, weight.KernelW, stride, padding);
        var y = Tensor.Empty(input.Size(0), weight.OutChannels, oh, ow);
        if (y.Count == 0) return y;
        using var b = bias == null ? null : F.ContiguousF32(bias);
        if (allowDirect && DirectConvKernel.Applies(weight, stride, ow))
        {
            DirectConvKernel.Conv2d(input, weight, b == null ? null : b.Data, padding, y);
            return y;
        }
        var job = new ConvJob(input, weight, y, b == null ? null : b.Data, stride, padding);
        Parallelism.For(job.Tiles, job.RunTile);
        return y;
    }

    /// <summary>One convolution call: geometry, tiling and the per-tile loop.</summary>
    sealed class ConvJob
    {
        readonly float* _x, _y, _bias, _panels;
        readonly long _sN, _sC, _sH, _sW;
        readonly int _h, _w, _oh, _ow, _p, _stride, _pad, _o, _k, _columns, _groupRows, _nc, _nBlocks;
        readonly PackedConvWeight _weight;
        readonly MicroKernel _kernel;

        public ConvJob(Tensor x, PackedConvWeight weight, Tensor y, float* bias, int stride, int padding)
        {
            _x = x.Data;
            _y = y.Data;
            _sN = x.Stride(0); _sC = x.Stride(1); _sH = x.Stride(2); _sW = x.Stride(3);
            _h = x.Size(2); _w = x.Size(3); _oh = y.Size(2); _ow = y.Size(3);
            _p = _oh * _ow;
            _stride = stride;
            _pad = padding;
            _weight = weight;
            _panels = weight.Panels.Data;
            _kernel = weight.Kernel;
            _o = weight.OutChannels;
            _k = weight.K;
            _columns = checked(x.Size(0) * _p);
            _bias = bias;
            int mr = _kernel.MR, nr = _kernel.NR;
            _nBlocks = (_columns + TargetNC - 1) / TargetNC;
            _nc = RoundUp((_columns + _nBlocks - 1) / _nBlocks, nr);
            int groups = Math.Clamp((MinTiles + _nBlocks - 1) / _nBlocks, 1, (_o + mr - 1) / mr);
            _groupRows = RoundUp((_o + groups - 1) / groups, mr);
            Tiles = ((_o + _groupRows - 1) / _groupRows) * _nBlocks;
        }

        public int Tiles { get; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunTile(int tile)
        {
            int m0 = tile / _nBlocks * _groupRows, mEnd = Math.Min(_o, m0 + _groupRows);
            int g0 = tile % _nBlocks * _nc, nc = Math.Min(_columns - g0, _nc);
            int mr = _kernel.MR, nr = _kernel.NR, ncPad = RoundUp(nc, nr), rows = RoundUp(mEnd - m0, mr);
            // C accumulates in a private tile whose row stride is not a large power of two (an output row
            // stride like 64·64 floats would put every row of a micro tile in the same cache sets).
            int ldc = ncPad + 16;
            long cFloats = (long)rows * ldc, bFloats = (long)KC * ncPad;
            long scratchBytes = (cFloats + bFloats) * sizeof(float);
            float* scratch = (float*)NativeBlockPool.Rent(scratchBytes);
            try
            {
                float* c = scratch, im2col = c + cFloats;
                var segments = RowSegments(g0, nc);
                for (int k0 = 0; k0 < _k || k0 == 0; k0 += KC)
                {
                    int kc = Math.Min(KC, _k - k0);
                    PackIm2Col(im2col, nc, ncPad, k0, kc, segments);
                    // Per channel block, a B micro panel (kc×NR) stays in L1 while the A block (MB×KC) streams from L2.
                    for (int mb = 0; mb < rows; mb += MB)
                        for (int j = 0; j < ncPad; j += nr)
                            for (int m = mb; m < Math.Min(rows, mb + MB); m += mr)
                                _kernel.Run(kc, _panels + (long)(m0 + m) * _k + (long)k0 * mr, mr, im2col + (long)j * kc, nr, c + (long)m * ldc + j, ldc, mr, nr, accumulate: k0 > 0);
                    if (_k == 0) break;
                }
                StoreTile(c, ldc, m0, mEnd, g0, nc);
            }
            finally
            {
                NativeBlockPool.Return(scratch, scratchBytes);
            }
        }

        /// <summary>Copies the tile to Y [N, O, P] image by image, adding the bias.</summary>
        void StoreTile(float* c, int ldc, int m0, int mEnd, int g0, int nc)
        {
            for (int j = 0; j < nc;)
            {
                int g = g0 + j, n = g / _p, p = g % _p, len = Math.Min(_p - p, nc - j);
                for (int m = m0; m < mEnd; m++)
                {
                    var src = new ReadOnlySpan<float>(c + (long)(m - m0) * ldc + j, len);
                    var dst = new Span<float>(_y + ((long)n * _o + m) * _p + p, len);
                    if (_bias != null) TensorPrimitives.Add(src, _bias[m], dst);
                    else src.CopyTo(dst);
                }
                j += len;
            }
        }

        /// <summary>Runs of consecutive columns inside one output row: (image, oy, ox0, length, offset in the block).</summary>
        (int N, int Oy, int Ox, int Length, int Offset)[] RowSegments(int g0, int nc)
        {
            var list = new List<(int, int, int, int, int)>();
            for (int j = 0; j < nc;)
            {
                int g = g0 + j, n = g / _p, p = g % _p, oy = p / _ow, ox = p % _ow;
                int len = Math.Min(_ow - ox, nc - j);
                list.Add((n, oy, ox, len, j));
                j += len;
            }
            return [.. list];
        }

        /// <summary>im2col rows [k0, k0 + kc) for the block's columns as B panels [ncPad/NR][kc][NR], zero past nc.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void PackIm2Col(float* dst, int nc, int ncPad, int k0, int kc, (int N, int Oy, int Ox, int Length, int Offset)[] segments)
        {
            int kh = _weight.KernelH, kw = _weight.KernelW;
            for (int kk = 0; kk < kc; kk++)
            {
                int k = k0 + kk, ci = k / (kh * kw), r = k % (kh * kw), ky = r / kw, kx = r % kw;
                var row = new PanelRow(dst, kc, kk, _kernel.NR);
                foreach (var s in segments)
                {
                    int iy = s.Oy * _stride - _pad + ky;
                    if ((uint)iy >= (uint)_h)
                    {
                        row.Zero(s.Offset, s.Length);
                        continue;
                    }
                    float* src = _x + s.N * _sN + ci * _sC + iy * _sH;
                    int ix0 = s.Ox * _stride - _pad + kx;
                    if (_stride == 1 && _sW == 1)
                    {
                        // Valid t: 0 ≤ ix0 + t < W; zero padding either side.
                        int lo = Math.Clamp(-ix0, 0, s.Length), hi = Math.Clamp(_w - ix0, lo, s.Length);
                        row.Zero(s.Offset, lo);
                        row.Copy(s.Offset + lo, src + ix0 + lo, hi - lo);
                        row.Zero(s.Offset + hi, s.Length - hi);
                    }
                    else
                    {
                        for (int t = 0; t < s.Length; t++)
                        {
                            int ix = ix0 + t * _stride;
                            *row.At(s.Offset + t) = (uint)ix < (uint)_w ? src[ix * _sW] : 0f;
                        }
                    }
                }
                row.Zero(nc, ncPad - nc);
            }
        }
    }

    /// <summary>Row kk of a block of B panels [cols/NR][kc][NR], addressed by block column.</summary>
    readonly struct PanelRow(float* panels, int kc, int kk, int nr)
    {
        public float* At(int col) => panels + ((long)(col / nr) * kc + kk) * nr + col % nr;

        /// <summary>Copies <paramref name="len"/> floats to columns [col, col + len), split at panel boundaries.</summary>
        public void Copy(int col, float* src, int len)
        {
            while (len > 0)
            {
                int run = Math.Min(len, nr - col % nr);
                new ReadOnlySpan<float>(src, run).CopyTo(new Span<float>(At(col), run));
                col += run; src += run; len -= run;
            }
        }

        public void Zero(int col, int len)
        {
            while (len > 0)
            {
                int run = Math.Min(len, nr - col % nr);
                new Span<float>(At(col), run).Clear();
                col += run; len -= run;
            }
        }
    }

    static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
