using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors;

/// <summary>
/// 64-byte aligned native blocks for tensors and kernel scratch, with large released blocks kept for the next
/// request of the same size. glibc serves every block from 128 KiB up with a fresh mmap, so without reuse each
/// op's output pays one page fault per 4 KiB on first touch: a 6 MB convolution output cost 5–10 ms that way,
/// more than a sixth of the convolution. Pooled memory is capped (<see cref="LimitBytes"/>) and given back by
/// <see cref="WeightMemory.Release"/>.
/// </summary>
internal static unsafe class NativeBlockPool
{
    /// <summary>Smallest block worth keeping: smaller ones come from malloc's heap, already faulted in.</summary>
    public const long MinPooledBytes = 128 * 1024;
    const long Granularity = 4096;

    static readonly object s_lock = new();
    static readonly Dictionary<long, Stack<nint>> s_free = [];
    static long s_pooledBytes;

    /// <summary>Most bytes kept idle: 1 GiB, or a sixteenth of the memory available to the process if that is less.</summary>
    public static readonly long LimitBytes = Math.Min(1L << 30, Math.Max(MinPooledBytes, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16));

    /// <summary>Bytes held idle right now.</summary>
    public static long PooledBytes
    {
        get { lock (s_lock) return s_pooledBytes; }
    }

    /// <summary>A block of at least <paramref name="bytes"/> bytes with unspecified contents; give it back with <see cref="Return"/> and the same size.</summary>
    /// <exception cref="OutOfMemoryException">The allocation failed.</exception>
    public static void* Rent(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long size = BlockSize(bytes);
        if (size >= MinPooledBytes)
            lock (s_lock)
                if (s_free.TryGetValue(size, out var stack) && stack.Count > 0)
                {
                    s_pooledBytes -= size;
                    return (void*)stack.Pop();
                }
        try
        {
            return NativeMemory.AlignedAlloc((nuint)size, 64);
        }
        catch (OutOfMemoryException)
        {
            Clear(); // idle blocks of other sizes may be what stands in the way
            try { return NativeMemory.AlignedAlloc((nuint)size, 64); }
            catch (OutOfMemoryException) { throw new OutOfMemoryException($"Allocation of {bytes:N0} bytes failed: not enough memory."); }
        }
    }

    /// <summary>Gives back a block from <see cref="Rent"/> (<paramref name="bytes"/> as asked for there); safe from any thread, finalizers included.</summary>
    public static void Return(void* block, long bytes)
    {
        if (block == null) return;
        long size = BlockSize(bytes);
        if (size >= MinPooledBytes && size <= LimitBytes)
            lock (s_lock)
            {
                // Make room by dropping idle blocks of other sizes: the newest size is the likeliest to be asked for again.
                foreach (var (other, stack) in s_free)
                    while (s_pooledBytes + size > LimitBytes && other != size && stack.Count > 0)
                    {
                        NativeMemory.AlignedFree((void*)stack.Pop());
                        s_pooledBytes -= other;
                    }
                if (s_pooledBytes + size <= LimitBytes)
                {
                    if (!s_free.TryGetValue(size, out var mine)) s_free[size] = mine = new Stack<nint>();
                    mine.Push((nint)block);
                    s_pooledBytes += size;
                    return;
                }
            }
        NativeMemory.AlignedFree(block);
    }

    /// <summary>Frees every idle block.</summary>
    public static void Clear()
    {
        lock (s_lock)
        {
            foreach (var stack in s_free.Values)
                while (stack.Count > 0) NativeMemory.AlignedFree((void*)stack.Pop());
            s_free.Clear();
            s_pooledBytes = 0;
        }
    }

    static long BlockSize(long bytes) => Math.Max(bytes, 1) < MinPooledBytes ? Math.Max(bytes, 1) : (bytes + Granularity - 1) / Granularity * Granularity;
}
