using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Stride-1 Conv2d as a direct convolution: the micro-kernel reads its B operand straight from a zero-padded
/// copy of the input (<see cref="MicroKernel.RunGathered"/>) instead of from im2col panels. A run of V = NR/2
/// consecutive output positions of one row reads, for reduction step (c, ky, kx), V consecutive input floats
/// (channel c, row oy + ky, columns from ox + kx), so every step is two vector loads at a precomputed offset.
/// Applies when output rows split into whole runs (OW a multiple of V). The reduction order is that of
/// <see cref="ConvKernel"/>'s implicit GEMM (one FMA chain per output element over k = (c, ky, kx) in order,
/// bias added last), so both paths give the same bits, for any thread count.
/// </summary>
internal static unsafe class DirectConvKernel
{
    /// <summary>Input channels per reduction block: a weight panel's block (MR × CB·taps floats) and the task's input rows for the block fit L2 together.</summary>
    const int CB = 128;
    /// <summary>Target output runs per task (tasks are the unit of threading; each re-reads the weights).</summary>
    const int TargetRuns = 16;
    /// <summary>Fewest tasks worth splitting output channels for (so both cores get work on small images).</summary>
    const int MinTasks = 4;
    /// <summary>Largest C tile (bytes) a task accumulates: with the weight panel and the input rows it stays in the 1 MiB L2.</summary>
    const long MaxTileBytes = 256 * 1024;

    /// <summary>Whether <see cref="Conv2d"/> handles this geometry (not an empty reduction: that is all bias).</summary>
    public static bool Applies(PackedConvWeight weight, int stride, int outWidth) =>
        Applies(weight.Kernel, weight.InChannels, stride, outWidth);

    public static bool Applies(MicroKernel kernel, int inChannels, int stride, int outWidth) =>
        stride == 1 && outWidth % (kernel.NR / 2) == 0 && inChannels > 0;

    /// <summary>Y = conv2d(X, W) + bias (stride 1) into <paramref name="y"/> [N, O, OH, OW]; X float32 [N, C, H, W], any strides.</summary>
    public static void Conv2d(Tensor input, PackedConvWeight weight, float* bias, int padding, Tensor y)
    {
        long length = PaddedLength(input, padding) * sizeof(float);
        float* padded = (float*)NativeBlockPool.Rent(length);
        try
        {
            Pad(input, padding, padded);
            var job = new Job(padded, input, padding, weight, y, bias);
            Parallelism.For(job.Tasks, job.RunTask);
        }
        finally
        {
            NativeBlockPool.Return(padded, length);
        }
    }

    /// <summary>
    /// X zero-padded and laid out [N, H + 2p, C, W + 2p]: the rows a tile reads for all channels sit together,
    /// so its reduction walks nearby memory instead of one page per channel.
    /// </summary>
    static void Pad(Tensor x, int padding, float* dst)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3), hp = h + 2 * padding, wp = w + 2 * padding;
        float* src = x.Data;
        long sN = x.Stride(0), sC = x.Stride(1), sH = x.Stride(2), sW = x.Stride(3), rowStride = (long)c * wp;
        Parallelism.For(n * hp, row =>
        {
            int image = row / hp, iy = row % hp - padding;
            float* to = dst + row * rowStride;
            if ((uint)iy >= (uint)h)
            {
                new Span<float>(to, (int)rowStride).Clear();
                return;
            }
            for (int ci = 0; ci < c; ci++, to += wp)
            {
                float* from = src + image * sN + ci * sC + iy * sH;
                for (int i = 0; i < padding; i++) to[i] = to[padding + w + i] = 0f; // padding is 0 or 1 in practice
                if (sW == 1) Buffer.MemoryCopy(from, to + padding, (long)w * sizeof(float), (long)w * sizeof(float));
                else for (int ix = 0; ix < w; ix++) to[padding + ix] = from[ix * sW];
            }
        });
    }

    static long PaddedLength(Tensor x, int padding) =>
        (long)x.Size(0) * (x.Size(2) + 2 * padding) * x.Size(1) * (x.Size(3) + 2 * padding);

    /// <summary>One call's geometry: tasks are (image, range of output runs, output-channel group).</summary>
    sealed class Job
    {
        readonly float* _x, _y, _bias, _panels;
        readonly MicroKernel _kernel;
        readonly int _c, _o, _k, _taps, _wp, _ow, _p, _v, _runsPerRow, _runs, _runsPerTask, _runBlocks, _groupRows, _groups, _nImages;
        readonly long _rowStride, _imageStride;
        /// <summary>Input offset of reduction step (c, ky, kx) of a channel block, relative to the block's first channel.</summary>
        readonly int[] _offsets;

        public Job(float* padded, Tensor input, int padding, PackedConvWeight weight, Tensor y, float* bias)
        {
            _x = padded;
            _y = y.Data;
            _bias = bias;
            _kernel = weight.Kernel;
            _panels = weight.Panels.Data;
            _c = weight.InChannels;
            _o = weight.OutChannels;
            _k = weight.K;
            _taps = weight.KernelH * weight.KernelW;
            _wp = input.Size(3) + 2 * padding;
            _rowStride = (long)_c * _wp;
            _imageStride = (input.Size(2) + 2 * padding) * _rowStride;
            _ow = y.Size(3);
            _p = y.Size(2) * _ow;
            _v = _kernel.NR / 2;
            _runsPerRow = _ow / _v;
            _runs = _p / _v;
            _runBlocks = (_runs + TargetRuns - 1) / TargetRuns;
            _runsPerTask = (_runs + _runBlocks - 1) / _runBlocks;
            int mr = _kernel.MR, n = y.Size(0);
            // Output channels split into groups so a task's C tile stays a fraction of L2 (every task reads its
            // group's weights once, so the weight traffic is the same however the channels are grouped), and so
            // small images still make enough tasks.
            int tileRowsCap = Math.Max(mr, (int)(MaxTileBytes / ((_runsPerTask * _v + 16) * sizeof(float))));
            int groupsForL2 = (_o + tileRowsCap - 1) / tileRowsCap;
            int groupsForThreads = (MinTasks + n * _runBlocks - 1) / (n * _runBlocks);
            _groups = Math.Clamp(Math.Max(groupsForL2, groupsForThreads), 1, (_o + mr - 1) / mr);
            _groupRows = (_o + _groups - 1) / _groups;
            _groupRows = (_groupRows + mr - 1) / mr * mr;
            _groups = (_o + _groupRows - 1) / _groupRows;
            _nImages = n;
            Tasks = n * _runBlocks * _groups;
            _offsets = new int[checked(Math.Min(CB, _c) * _taps)];
            for (int i = 0; i < Math.Min(CB, _c); i++)
                for (int ky = 0; ky < weight.KernelH; ky++)
                    for (int kx = 0; kx < weight.KernelW; kx++)
                        _offsets[(i * weight.KernelH + ky) * weight.KernelW + kx] = checked((int)(ky * _rowStride) + i * _wp + kx);
        }

        public int Tasks { get; }

        /// <summary>Offset of output run <paramref name="run"/>'s first input element (channel 0, ky = kx = 0) within its padded image.</summary>
        long RunOffset(int run) => run / _runsPerRow * _rowStride + run % _runsPerRow * _v;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunTask(int task)
        {
            // Consecutive tasks (which the threads run side by side) share a weight group, so it stays in L3.
            int block = task % _runBlocks, n = task / _runBlocks % _nImages, group = task / _runBlocks / _nImages;
            int m0 = group * _groupRows, mEnd = Math.Min(_o, m0 + _groupRows);
            int r0 = block * _runsPerTask, runs = Math.Min(_runs - r0, _runsPerTask);
            int mr = _kernel.MR, nr = _kernel.NR, rows = (mEnd - m0 + mr - 1) / mr * mr;
            // A private C tile whose row stride is not a large power of two (an output plane stride like 64·64
            // floats would put every row of a micro tile in the same cache sets).
            int ldc = runs * _v + 16;
            float* c = ThreadScratch.Get(ref t_scratch, (long)rows * ldc + mr * nr), edge = c + (long)rows * ldc;
            fixed (int* offsets = _offsets)
            {
                for (int c0 = 0; c0 < _c; c0 += CB)
                {
                    int steps = Math.Min(CB, _c - c0) * _taps;
                    bool accumulate = c0 > 0;
                    float* image = _x + n * _imageStride + (long)c0 * _wp;
                    bool last = c0 + CB >= _c;
                    // Each weight panel (MR channels × this block's steps) serves every run pair of the task while
                    // it is warm; the runs' input rows stay in L2 across panels.
                    for (int m = 0; m < rows; m += mr)
                    {
                        float* a = _panels + (long)(m0 + m) * _k + (long)c0 * _taps * mr;
                        for (int j = 0; j < runs; j += 2)
                        {
                            float* b0 = image + RunOffset(r0 + j), ct = c + (long)m * ldc + j * _v;
                            if (j + 1 < runs) _kernel.RunGathered(steps, a, offsets, b0, image + RunOffset(r0 + j + 1), ct, ldc, accumulate);
                            else HalfTile(steps, a, offsets, b0, ct, ldc, accumulate, edge);
                        }
                        // The panel's rows are final: write them out while they are in L1, between kernel calls, so the
                        // stores to Y overlap compute instead of costing a pass of their own.
                        if (last) Store(c + (long)m * ldc, ldc, n, m0 + m, Math.Min(mEnd, m0 + m + mr), r0 * _v, runs * _v);
                    }
                }
            }
        }

        /// <summary>A last, unpaired run: the full kernel on a scratch tile, keeping only its first V columns.</summary>
        void HalfTile(int steps, float* a, int* offsets, float* b0, float* ct, int ldc, bool accumulate, float* edge)
        {
            int mr = _kernel.MR, nr = _kernel.NR;
            for (int r = 0; r < mr; r++)
                new ReadOnlySpan<float>(ct + (long)r * ldc, _v).CopyTo(new Span<float>(edge + r * nr, _v));
            _kernel.RunGathered(steps, a, offsets, b0, b0, edge, nr, accumulate);
            for (int r = 0; r < mr; r++)
                new ReadOnlySpan<float>(edge + r * nr, _v).CopyTo(new Span<float>(ct + (long)r * ldc, _v));
        }

        /// <summary>Copies accumulator rows (channels [m0, mEnd), row stride ldc) to Y positions [p0, p0 + len) of image n, adding the bias.</summary>
        void Store(float* c, int ldc, int n, int m0, int mEnd, int p0, int len)
        {
            for (int m = m0; m < mEnd; m++)
            {
                var src = new ReadOnlySpan<float>(c + (long)(m - m0) * ldc, len);
                var dst = new Span<float>(_y + ((long)n * _o + m) * _p + p0, len);
                if (_bias != null) TensorPrimitives.Add(src, _bias[m], dst);
                else src.CopyTo(dst);
            }
        }
    }

    /// <summary>This thread's C tile (see <see cref="Job.RunTask"/>).</summary>
    [ThreadStatic] static float[]? t_scratch;
}
