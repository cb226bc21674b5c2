using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

/// <summary>
/// Memory held on behalf of weights: the packed float32 copies the GEMM and convolution kernels make on first use,
/// the resident pages of memory-mapped checkpoints, and the idle tensor blocks kept for reuse (<see cref="NativeBlockPool"/>). A staged model calls <see cref="Release"/> between stages so
/// only the running stage's weights occupy memory; the next use repacks (about a second per billion parameters).
/// </summary>
public static class WeightMemory
{
    public static void Release()
    {
        PackedB.ClearCache();
        ConvKernel.ClearCache();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        NativeBlockPool.Clear();
        MappedFile.ReleaseResidentPages();
    }
}
