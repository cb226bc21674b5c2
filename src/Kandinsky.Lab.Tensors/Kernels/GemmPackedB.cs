using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// A GEMM B operand (K × N) packed once into the panel layout the micro-kernel streams: for each K block
/// (at most <see cref="Gemm.KC"/> rows), ⌈N / <see cref="Gemm.NR"/>⌉ panels of kc × NR floats (element (p, j) of a
/// panel at p·NR + j, columns past N zero). Panels are float32: F16/BF16 weights are widened here, once,
/// so the hot loop never converts (the price: twice the memory of a half-precision checkpoint).
/// Immutable after construction and safe to share between threads. Owns native memory: dispose it, or let
/// the finalizer free it (cached weight packs live as long as their weight tensor).
/// </summary>
public sealed unsafe class PackedB : IDisposable
{
    static readonly WeightPackCache<PackedB> WeightCache = new();

    float* _data;
    readonly long _bytes;
    readonly bool _ownsData;

    /// <summary>Rows of B (the reduction dimension).</summary>
    public int K { get; }
    /// <summary>Columns of B (the output width).</summary>
    public int N { get; }

    internal int Panels => (N + Gemm.NR - 1) / Gemm.NR;
    internal int KBlocks => (K + Gemm.KC - 1) / Gemm.KC;
    /// <summary>K is cut into KBlocks nearly equal blocks (at most KC deep), so no thin last block costs a whole extra pass over C.</summary>
    int BlockUnit => K == 0 ? 0 : (K + KBlocks - 1) / KBlocks;
    internal int BlockStart(int kb) => kb * BlockUnit;
    internal int BlockDepth(int kb) => Math.Min(BlockUnit, K - kb * BlockUnit);

    /// <summary>The kc × NR panel holding rows [BlockStart(kb), BlockStart(kb) + kc) and columns [jp·NR, jp·NR + NR).</summary>
    internal float* Panel(int kb, int jp)
    {
        ObjectDisposedException.ThrowIf(_data == null && _bytes != 0, this);
        return _data + (long)BlockStart(kb) * Panels * Gemm.NR + (long)jp * BlockDepth(kb) * Gemm.NR;
    }

    PackedB(int k, int n, float* buffer)
    {
        K = k;
        N = n;
        _bytes = PackedLength(k, n) * sizeof(float);
        if (buffer != null)
        {
            _data = buffer;
            GC.SuppressFinalize(this);
            return;
        }
        _ownsData = true;
        if (_bytes == 0) return;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)_bytes, 64);
        GC.AddMemoryPressure(_bytes);
    }

    /// <summary>Floats a packed K × N operand occupies (the size <see cref="PackInto"/> needs).</summary>
    public static long PackedLength(int k, int n) => (long)k * ((n + Gemm.NR - 1) / Gemm.NR) * Gemm.NR;

    /// <summary>
    /// <see cref="Pack(void*, DType, int, int, long, long, bool)"/> into caller-owned memory of at least
    /// <see cref="PackedLength"/> floats (64-byte aligned is best), on the calling thread: no allocation of
    /// native memory, for small per-call operands (attention keys, per-head values). The result borrows the
    /// buffer: keep the buffer alive and unchanged while it is used; disposing it does nothing.
    /// </summary>
    public static PackedB PackInto(float* buffer, long bufferLength, void* source, DType dtype, int k, int n, long rowStride, long colStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (buffer == null || bufferLength < PackedLength(k, n))
            throw new ArgumentException($"PackedB.PackInto: a {k} x {n} operand needs a buffer of {PackedLength(k, n)} floats, got {bufferLength}.");
        var packed = new PackedB(k, n, buffer);
        packed.PackAll(source, dtype, rowStride, colStride, parallel: false);
        return packed;
    }

    /// <summary>
    /// Packs a K × N matrix whose element (p, j) is at source[p·rowStride + j·colStride] (elements of
    /// <paramref name="dtype"/>). A Linear weight W [N, K] is B = Wᵀ: rowStride = 1, colStride = K.
    /// </summary>
    /// <param name="parallel">Pack panels on <see cref="Parallelism.Threads"/> threads (false when the caller already threads).</param>
    public static PackedB Pack(void* source, DType dtype, int k, int n, long rowStride, long colStride, bool parallel = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var packed = new PackedB(k, n, null);
        packed.PackAll(source, dtype, rowStride, colStride, parallel);
        return packed;
    }

    void PackAll(void* source, DType dtype, long rowStride, long colStride, bool parallel)
    {
        if (_bytes == 0) return;
        int panels = Panels, kBlocks = KBlocks;
        const int PanelsPerTask = 8;
        int groups = (panels + PanelsPerTask - 1) / PanelsPerTask;
        nint src = (nint)source;
        void PackGroup(int t)
        {
            int kb = t / groups, jp0 = t % groups * PanelsPerTask;
            for (int jp = jp0; jp < Math.Min(panels, jp0 + PanelsPerTask); jp++)
                PackPanel((void*)src, dtype, rowStride, colStride, kb, jp);
        }
        if (parallel) Parallelism.For(kBlocks * groups, PackGroup);
        else for (int t = 0; t < kBlocks * groups; t++) PackGroup(t);
    }

    /// <summary>Packs a float32 K × N matrix (see <see cref="Pack(void*, DType, int, int, long, long, bool)"/>).</summary>
    public static PackedB Pack(float* source, int k, int n, long rowStride, long colStride, bool parallel = true) =>
        Pack(source, DType.F32, k, n, rowStride, colStride, parallel);

    /// <summary>Packs B = Wᵀ for a weight W [N, K] (Linear [out, in], or a flattened conv weight [Cout, Cin·kh·kw]) of any dtype and strides. The caller owns the result.</summary>
    public static PackedB FromWeight(Tensor weight)
    {
        if (weight.Rank != 2)
            throw Tensor.ShapeError("PackedB.FromWeight", $"weight {weight.ShapeString} must be 2-D [N, K].");
        return Pack(weight.RawPointer, weight.DType, weight.Size(1), weight.Size(0), weight.Stride(1), weight.Stride(0));
    }

    /// <summary>Packs a K × N matrix tensor [K, N] of any dtype and strides. The caller owns the result.</summary>
    public static PackedB FromMatrix(Tensor b)
    {
        if (b.Rank != 2)
            throw Tensor.ShapeError("PackedB.FromMatrix", $"matrix {b.ShapeString} must be 2-D [K, N].");
        return Pack(b.RawPointer, b.DType, b.Size(0), b.Size(1), b.Stride(0), b.Stride(1));
    }

    /// <summary>
    /// The packed Wᵀ of <paramref name="weight"/> [N, K], packed on first use and cached for as long as this
    /// tensor object lives (this is what <see cref="F.Linear"/> uses). Weights are assumed immutable: after
    /// writing into a weight's elements call <see cref="Invalidate"/>. Do not dispose the result.
    /// </summary>
    public static PackedB ForWeight(Tensor weight) => WeightCache.GetOrPack(weight, FromWeight);

    /// <summary>Forgets the cached pack of <paramref name="weight"/> (its memory is freed when no GEMM still uses it).</summary>
    public static void Invalidate(Tensor weight) => WeightCache.Forget(weight);

    /// <summary>Forgets every cached weight pack; packs still in use stay alive until their callers finish.</summary>
    internal static void ClearCache() => WeightCache.Clear();

    void PackPanel(void* source, DType dtype, long rowStride, long colStride, int kb, int jp)
    {
        const int NR = Gemm.NR;
        int kc = BlockDepth(kb), k0 = BlockStart(kb), j0 = jp * NR, nr = Math.Min(NR, N - j0);
        float* dst = Panel(kb, jp);
        if (nr < NR) new Span<float>(dst, kc * NR).Clear();
        if (colStride == 1 && nr > 0)
        {
            // Row-major B: each panel row is a contiguous run of nr columns.
            for (int p = 0; p < kc; p++)
                ReadRun(source, dtype, (k0 + p) * rowStride + j0, 1, nr, dst + p * NR);
        }
        else
        {
            // Column runs (a [N, K] weight read as Wᵀ): convert one column of kc values, then scatter with stride NR.
            float* column = stackalloc float[kc];
            for (int j = 0; j < nr; j++)
            {
                ReadRun(source, dtype, (j0 + j) * colStride + k0 * rowStride, rowStride, kc, column);
                for (int p = 0; p < kc; p++) dst[p * NR + j] = column[p];
            }
        }
    }

    /// <summary>Reads <paramref name="count"/> elements at source[offset + i·stride] as float32.</summary>
    static void ReadRun(void* source, DType dtype, long offset, long stride, int count, float* dst)
    {
        var to = new Span<float>(dst, count);
        switch (dtype)
        {
            case DType.F32:
                if (stride == 1) new ReadOnlySpan<float>((float*)source + offset, count).CopyTo(to);
                else for (int i = 0; i < count; i++) dst[i] = ((float*)source)[offset + i * stride];
                break;
            case DType.F16:
                if (stride == 1) TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)source + offset, count), to);
                else for (int i = 0; i < count; i++) dst[i] = (float)((Half*)source)[offset + i * stride];
                break;
            default:
                if (stride == 1) BFloat16.ToSingle(new ReadOnlySpan<ushort>((ushort*)source + offset, count), to);
                else for (int i = 0; i < count; i++) dst[i] = BFloat16.ToSingle(((ushort*)source)[offset + i * stride]);
                break;
        }
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~PackedB() => Free();

    void Free()
    {
        if (!_ownsData) return;
        float* data = _data;
        _data = null;
        if (data == null) return;
        NativeMemory.AlignedFree(data);
        GC.RemoveMemoryPressure(_bytes);
    }
}
