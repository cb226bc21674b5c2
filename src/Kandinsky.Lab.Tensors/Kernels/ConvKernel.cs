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
    /// <summary>[⌈O/MR⌉·K·MR] floats; freed with this object (the storage has a finalizer).</summary>
    public Tensor Panels { get; }

    /// <summary>Panel holding output channels [p·MR, p·MR + MR).</summary>
    public float* Panel(int p) => Panels.Data + (long)p * K * Kernel.MR;
}

/// <summary>
/// Conv2d (groups = 1) as an implicit GEMM: Y[n][O, P] = W[O, K] · im2col(X[n])[K, P] with P = OH·OW.
/// Weights are packed once per weight tensor (a weak cache keyed by the tensor object); the im2col
/// operand is built per output tile in blocks of <see cref="KC"/> rows, so memory stays a few hundred KB
/// per thread at any image size. Output tiles (channel block × column block, columns running over all
/// images) are the unit of threading; every output element is one FMA chain in k order, so results are
/// bit-identical for any thread count.
/// </summary>
internal static unsafe class ConvKernel
{
    /// <summary>Rows of the im2col block (reduction depth per pass): KC×NR floats of B stay in L1.</summary>
    const int KC = 256;
    /// <summary>Target output channels per tile: the tile's A block (MB×KC) stays in L2.</summary>
    const int TargetMB = 192;
    /// <summary>Target output columns per tile: the im2col block (KC×NC) stays in L2.</summary>
    const int TargetNC = 192;

    static readonly ConditionalWeakTable<Tensor, PackedConvWeight> Cache = new();

    /// <summary>
    /// The packed form of <paramref name="weight"/>, cached for the lifetime of the tensor object when packed
    /// for <see cref="MicroKernel.Best"/>. Weights must not be modified in place after their first use
    /// (call <see cref="Forget"/> if they are).
    /// </summary>
    public static PackedConvWeight PackedFor(Tensor weight, MicroKernel kernel)
    {
        _ = weight.RawPointer; // throws when the weight was disposed, even if a packed copy is cached
        if (kernel != MicroKernel.Best) return Pack(weight, kernel);
        return Cache.GetValue(weight, w => Pack(w, MicroKernel.Best));
    }

    /// <summary>Drops the cached packed copy of <paramref name="weight"/> (after an in-place edit).</summary>
    public static void Forget(Tensor weight) => Cache.Remove(weight);

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

    /// <summary>Y = conv2d(X, W) + bias for float32 X [N, C, H, W] with any strides; bias [O] of any dtype.</summary>
    public static Tensor Conv2d(Tensor input, PackedConvWeight weight, Tensor? bias, int stride, int padding)
    {
        int n = input.Size(0), h = input.Size(2), w = input.Size(3);
        int oh = (h + 2 * padding - weight.KernelH) / stride + 1, ow = (w + 2 * padding - weight.KernelW) / stride + 1;
        var y = Tensor.Empty(n, weight.OutChannels, oh, ow);
        if (y.Count == 0) return y;
        using var b = bias == null ? null : bias.DType == DType.F32 ? bias.Contiguous() : bias.ToFloat32();
        var job = new ConvJob(input, weight, y, b == null ? null : b.Data, stride, padding);
        Parallelism.For(job.Tiles, job.RunTile);
        return y;
    }

    /// <summary>One convolution call: geometry, tiling and the per-tile loop.</summary>
    sealed class ConvJob
    {
        readonly float* _x, _y, _bias;
        readonly long _sN, _sC, _sH, _sW;
        readonly int _h, _w, _oh, _ow, _p, _stride, _pad, _o, _k, _columns, _mb, _nc, _nBlocks;
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
            _kernel = weight.Kernel;
            _o = weight.OutChannels;
            _k = weight.K;
            _columns = checked(x.Size(0) * _p);
            _bias = bias;
            int mr = _kernel.MR, nr = _kernel.NR;
            int mBlocks = (_o + TargetMB - 1) / TargetMB;
            _mb = RoundUp((_o + mBlocks - 1) / mBlocks, mr);
            _nBlocks = (_columns + TargetNC - 1) / TargetNC;
            _nc = RoundUp((_columns + _nBlocks - 1) / _nBlocks, nr);
            Tiles = ((_o + _mb - 1) / _mb) * _nBlocks;
        }

        public int Tiles { get; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunTile(int tile)
        {
            int m0 = tile / _nBlocks * _mb, mEnd = Math.Min(_o, m0 + _mb);
            int g0 = tile % _nBlocks * _nc, nc = Math.Min(_columns - g0, _nc);
            int mr = _kernel.MR, nr = _kernel.NR, ldb = RoundUp(nc, nr);
            nuint bytes = (nuint)((long)KC * ldb * sizeof(float));
            float* im2col = (float*)NativeMemory.AlignedAlloc(bytes, 64);
            try
            {
                NativeMemory.Clear(im2col, bytes); // the pad columns past nc stay zero
                var segments = RowSegments(g0, nc);
                for (int k0 = 0; k0 < _k; k0 += KC)
                {
                    int kc = Math.Min(KC, _k - k0);
                    PackIm2Col(im2col, ldb, k0, kc, segments);
                    for (int j = 0; j < nc; j += nr)
                        for (int m = m0; m < mEnd; m += mr)
                            MultiplyMicroTile(_weight.Panel(m / mr) + (long)k0 * mr, im2col + j, ldb, kc, m, Math.Min(mr, mEnd - m), g0 + j, Math.Min(nr, nc - j), accumulate: k0 > 0);
                }
                if (_k == 0) ZeroTile(m0, mEnd, g0, nc);
                if (_bias != null) AddBias(m0, mEnd, g0, nc);
            }
            finally
            {
                NativeMemory.AlignedFree(im2col);
            }
        }

        /// <summary>C[m.., g..] (+)= A·B for one micro tile; columns that cross into the next image go through a scratch tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void MultiplyMicroTile(float* a, float* b, int ldb, int kc, int m, int mr, int g, int nr, bool accumulate)
        {
            int n = g / _p, p = g % _p;
            if (p + nr <= _p)
            {
                _kernel.Run(kc, a, _kernel.MR, b, ldb, _y + ((long)n * _o + m) * _p + p, _p, mr, nr, accumulate);
                return;
            }
            float* tile = stackalloc float[mr * nr];
            if (accumulate)
                for (int j = 0; j < nr; j++)
                    for (int r = 0; r < mr; r++) tile[r * nr + j] = *OutputAt(m + r, g + j);
            _kernel.Run(kc, a, _kernel.MR, b, ldb, tile, nr, mr, nr, accumulate);
            for (int j = 0; j < nr; j++)
                for (int r = 0; r < mr; r++) *OutputAt(m + r, g + j) = tile[r * nr + j];
        }

        float* OutputAt(int channel, int column) => _y + ((long)(column / _p) * _o + channel) * _p + column % _p;

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

        /// <summary>im2col rows [k0, k0 + kc) for the block's columns into <paramref name="dst"/> (row stride ldb).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void PackIm2Col(float* dst, int ldb, int k0, int kc, (int N, int Oy, int Ox, int Length, int Offset)[] segments)
        {
            int kh = _weight.KernelH, kw = _weight.KernelW;
            for (int kk = 0; kk < kc; kk++)
            {
                int k = k0 + kk, ci = k / (kh * kw), r = k % (kh * kw), ky = r / kw, kx = r % kw;
                float* row = dst + (long)kk * ldb;
                foreach (var s in segments)
                {
                    float* d = row + s.Offset;
                    int iy = s.Oy * _stride - _pad + ky;
                    if ((uint)iy >= (uint)_h)
                    {
                        new Span<float>(d, s.Length).Clear();
                        continue;
                    }
                    float* src = _x + s.N * _sN + ci * _sC + iy * _sH;
                    int ix0 = s.Ox * _stride - _pad + kx;
                    if (_stride == 1 && _sW == 1)
                    {
                        // Valid t: 0 ≤ ix0 + t < W; zero padding either side.
                        int lo = Math.Clamp(-ix0, 0, s.Length), hi = Math.Clamp(_w - ix0, lo, s.Length);
                        new Span<float>(d, lo).Clear();
                        new ReadOnlySpan<float>(src + ix0 + lo, hi - lo).CopyTo(new Span<float>(d + lo, hi - lo));
                        new Span<float>(d + hi, s.Length - hi).Clear();
                    }
                    else
                    {
                        for (int t = 0; t < s.Length; t++)
                        {
                            int ix = ix0 + t * _stride;
                            d[t] = (uint)ix < (uint)_w ? src[ix * _sW] : 0f;
                        }
                    }
                }
            }
        }

        void ZeroTile(int m0, int mEnd, int g0, int nc)
        {
            for (int m = m0; m < mEnd; m++)
                for (int j = 0; j < nc; j++) *OutputAt(m, g0 + j) = 0f;
        }

        void AddBias(int m0, int mEnd, int g0, int nc)
        {
            for (int j = 0; j < nc;)
            {
                int g = g0 + j, p = g % _p, len = Math.Min(_p - p, nc - j);
                for (int m = m0; m < mEnd; m++)
                {
                    var run = new Span<float>(OutputAt(m, g), len);
                    TensorPrimitives.Add(run, _bias[m], run);
                }
                j += len;
            }
        }
    }

    static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
