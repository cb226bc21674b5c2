namespace Kandinsky.Lab.Tensors;

/// <summary>Element copy between two tensors of the same shape and dtype with arbitrary strides.</summary>
internal static unsafe class StridedCopy
{
    public static void Copy(Tensor src, Tensor dst)
    {
        if (src.Count == 0) return;
        int size = src.DType.Size();
        var shape = src.ShapeArray();
        byte* s = (byte*)src.RawPointer;
        byte* d = (byte*)dst.RawPointer;
        if (src.IsContiguous && dst.IsContiguous)
        {
            Buffer.MemoryCopy(s, d, src.Count * size, src.Count * size);
            return;
        }
        var ss = src.Strides.ToArray();
        var ds = dst.Strides.ToArray();
        if (shape.Length == 0) { Buffer.MemoryCopy(s, d, size, size); return; }
        CopyDim(0, shape, ss, ds, s, d, size);
    }

    static void CopyDim(int dim, int[] shape, long[] ss, long[] ds, byte* s, byte* d, int size)
    {
        int n = shape[dim];
        long sStep = ss[dim] * size, dStep = ds[dim] * size;
        if (dim == shape.Length - 1)
        {
            if (ss[dim] == 1 && ds[dim] == 1) { Buffer.MemoryCopy(s, d, (long)n * size, (long)n * size); return; }
            switch (size)
            {
                case 4:
                    for (int i = 0; i < n; i++) *(uint*)(d + i * dStep) = *(uint*)(s + i * sStep);
                    break;
                default:
                    for (int i = 0; i < n; i++) *(ushort*)(d + i * dStep) = *(ushort*)(s + i * sStep);
                    break;
            }
            return;
        }
        for (int i = 0; i < n; i++) CopyDim(dim + 1, shape, ss, ds, s + i * sStep, d + i * dStep, size);
    }
}
