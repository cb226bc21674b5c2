using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

/// <summary>
/// Memory held on behalf of weights: the packed float32 copies the GEMM and convolution kernels make on first use,
/// and the resident pages of memory-mapped checkpoints. A staged model calls <see cref="Release"/> between stages so
/// only the running stage's weights occupy memory; the next use repacks (about a second per billion parameters).
/// </summary>
public static class WeightMemory
{
    public static void Release()
    {
        PackedB.ClearCache();
        ConvKernel.ClearCache();
        ReusableBuffer.ReleaseIdle();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        MappedFile.ReleaseResidentPages();
    }
}
