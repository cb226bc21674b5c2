using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// A 64-byte aligned float buffer for per-call kernel scratch (a padded copy of an input, say) that is handed back
/// for the next call instead of freed: fresh native memory costs a page fault per 4 KiB on first touch, which
/// at a few MB per convolution is several percent of its time. One idle buffer is kept, up to <see cref="KeepLimit"/>.
/// </summary>
internal sealed unsafe class ReusableBuffer : IDisposable
{
    /// <summary>Largest buffer kept between calls (64 MiB); larger ones are freed when returned.</summary>
    const long KeepLimit = 16L << 20;

    static ReusableBuffer? s_idle;

    ReusableBuffer(long length)
    {
        Length = length;
        Data = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, length) * sizeof(float)), 64);
    }

    public float* Data { get; private set; }
    /// <summary>Capacity in floats (at least what was asked for).</summary>
    public long Length { get; }

    /// <summary>A buffer of at least <paramref name="floats"/> floats, with unspecified contents; dispose it to hand it back.</summary>
    public static ReusableBuffer Rent(long floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floats);
        var idle = Interlocked.Exchange(ref s_idle, null);
        if (idle != null && idle.Length >= floats) return idle;
        idle?.Free();
        return new ReusableBuffer(floats);
    }

    /// <summary>Frees the idle buffer (part of <see cref="WeightMemory.Release"/>).</summary>
    public static void ReleaseIdle() => Interlocked.Exchange(ref s_idle, null)?.Free();

    public void Dispose()
    {
        if (Length > KeepLimit) Free();
        else Interlocked.Exchange(ref s_idle, this)?.Free();
    }

    void Free()
    {
        NativeMemory.AlignedFree(Data);
        Data = null;
    }
}
