namespace Kandinsky.Lab.Tensors;

/// <summary>Argument plumbing shared by the functional ops: dtype conversion, dimension checks, errors.</summary>
public static partial class F
{
    /// <summary>
    /// <paramref name="t"/> as float32 with any strides: another reference when it already is float32, else a
    /// contiguous converted copy. Either way the caller disposes the result.
    /// </summary>
    static Tensor AsF32(Tensor t) => t.DType == DType.F32 ? t.Alias() : t.ToFloat32();

    /// <summary><paramref name="t"/> as a contiguous float32 tensor (a view when possible); the caller disposes it.</summary>
    internal static Tensor ContiguousF32(Tensor t) => t.DType == DType.F32 ? t.Contiguous() : t.ToFloat32();

    /// <summary>A weight or bias (F32/F16/BF16) as a contiguous float32 vector of <paramref name="length"/> elements, or null.</summary>
    static Tensor? VectorParameter(Tensor? p, int length, string op, string name, Tensor x)
    {
        if (p == null) return null;
        if (p.Rank != 1 || p.Size(0) != length)
            throw Tensor.ShapeError(op, $"{name} has shape {p.ShapeString}, expected [{length}] for input {x.ShapeString}.");
        return ContiguousF32(p);
    }

    /// <summary>Normalizes a possibly negative dimension, with an error that names the op.</summary>
    static int Dim(Tensor x, int dim, string op)
    {
        int d = dim < 0 ? dim + x.Rank : dim;
        if ((uint)d >= (uint)x.Rank)
            throw Tensor.ShapeError(op, $"dimension {dim} is out of range for input {x.ShapeString} (rank {x.Rank}).");
        return d;
    }

    /// <summary>Distinct normalized dimensions, sorted; an empty list means every dimension (as torch).</summary>
    static int[] Dims(Tensor x, int[] dims, string op)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0) return Enumerable.Range(0, x.Rank).ToArray();
        var result = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            result[i] = Dim(x, dims[i], op);
            for (int j = 0; j < i; j++)
                if (result[j] == result[i])
                    throw Tensor.ShapeError(op, $"dimension {dims[i]} appears more than once in [{string.Join(", ", dims)}] for input {x.ShapeString}.");
        }
        Array.Sort(result);
        return result;
    }
}
