using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Per-thread kernel scratch: a kernel keeps its own <c>[ThreadStatic]</c> slot per buffer it needs at the same
/// time and asks for at least n floats; the pinned array grows on demand and is reused by the thread's later tasks,
/// so scratch is never page-faulted in per task. Freed with the thread.
/// </summary>
internal static unsafe class ThreadScratch
{
    /// <summary>At least <paramref name="count"/> floats, 64-byte aligned, contents undefined; valid until the next call on this slot.</summary>
    public static float* Get(ref float[]? slot, long count)
    {
        long needed = checked(count + 16); // room to align
        if (slot == null || slot.Length < needed)
            slot = GC.AllocateUninitializedArray<float>(checked((int)needed), pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slot));
        return (float*)((p + 63) & ~(nint)63);
    }
}
