using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text;

namespace Kandinsky.Lab.Tensors;

/// <summary>
/// A row-major n-d array: a shape and element strides over a reference-counted <see cref="Storage"/>.
/// Views (reshape, permute, slice, expand …) share the storage; <see cref="Dispose"/> drops this view's
/// reference so memory is returned deterministically. Compute is float32; F16/BF16 tensors hold weights
/// and are read through <see cref="ToFloat32"/> or by kernels that convert on load.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    readonly int[] _shape;
    readonly long[] _strides;
    int _disposed;

    internal Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset)
    {
        Storage = storage;
        DType = dtype;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        storage.AddRef();
    }

    public Storage Storage { get; }
    public DType DType { get; }
    /// <summary>Element offset of the first element in the storage.</summary>
    public long Offset { get; }
    public ReadOnlySpan<int> Shape => _shape;
    /// <summary>Strides in elements, outermost first.</summary>
    public ReadOnlySpan<long> Strides => _strides;
    public int Rank => _shape.Length;
    public long Count => ShapeUtil.Count(_shape);
    public bool IsDisposed => _disposed != 0;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[NormDim(dim)];
    public long Stride(int dim) => _strides[NormDim(dim)];
    public int[] ShapeArray() => (int[])_shape.Clone();

    public bool IsContiguous => ShapeUtil.IsContiguous(_shape, _strides);

    /// <summary>Pointer to the first element (bytes depend on <see cref="DType"/>).</summary>
    public void* RawPointer
    {
        get
        {
            ThrowIfDisposed();
            return (byte*)Storage.Pointer + Offset * DType.Size();
        }
    }

    /// <summary>Pointer to the first float of a float32 tensor.</summary>
    public float* Data
    {
        get
        {
            RequireF32("Data");
            return (float*)RawPointer;
        }
    }

    /// <summary>The elements of a contiguous float32 tensor as a span.</summary>
    public Span<float> AsSpan()
    {
        RequireF32("AsSpan");
        if (!IsContiguous)
            throw new InvalidOperationException($"AsSpan needs a contiguous tensor, got shape {ShapeString} with strides [{string.Join(", ", _strides)}]; call Contiguous() first.");
        return new Span<float>(Data, checked((int)Count));
    }

    // ---- creation ----------------------------------------------------------------------------

    public static Tensor Empty(params int[] shape) => Empty(DType.F32, shape);

    public static Tensor Empty(DType dtype, params int[] shape) => Allocate(dtype, shape, zero: false);

    public static Tensor Zeros(params int[] shape) => Allocate(DType.F32, shape, zero: true);

    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.AsSpan().Fill(value);
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    public static Tensor Scalar(float value) => Full(value, []);

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        var t = Empty(shape);
        if (data.Length != t.Count)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {ShapeUtil.Format(shape)} ({t.Count} elements).");
        data.CopyTo(t.AsSpan());
        return t;
    }

    /// <summary>A tensor over memory the caller owns; <paramref name="owner"/> is disposed with the last view.</summary>
    public static Tensor FromPointer(void* pointer, DType dtype, int[] shape, IDisposable? owner)
    {
        ShapeUtil.Validate(shape, "FromPointer");
        var bytes = checked(ShapeUtil.Count(shape) * dtype.Size());
        var storage = new ExternalStorage(pointer, bytes, owner);
        return new Tensor(storage, dtype, (int[])shape.Clone(), ShapeUtil.ContiguousStrides(shape), 0);
    }

    static Tensor Allocate(DType dtype, int[] shape, bool zero)
    {
        ShapeUtil.Validate(shape, "Tensor.Empty");
        var bytes = checked(ShapeUtil.Count(shape) * dtype.Size());
        var storage = NativeStorage.Allocate(bytes, zero);
        return new Tensor(storage, dtype, (int[])shape.Clone(), ShapeUtil.ContiguousStrides(shape), 0);
    }

    // ---- element access (for tests and small tensors; kernels use pointers) -----------------------

    [IndexerName("At")]
    public float this[params int[] index]
    {
        get => ReadAt(ElementOffset(index));
        set
        {
            RequireF32("indexer set");
            ((float*)Storage.Pointer)[ElementOffset(index)] = value;
        }
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item needs a one-element tensor, got shape {ShapeString}.");
        return ReadAt(Offset);
    }

    float ReadAt(long storageIndex)
    {
        ThrowIfDisposed();
        return DType switch
        {
            DType.F32 => ((float*)Storage.Pointer)[storageIndex],
            DType.F16 => (float)((Half*)Storage.Pointer)[storageIndex],
            _ => BFloat16.ToSingle(((ushort*)Storage.Pointer)[storageIndex]),
        };
    }

    long ElementOffset(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Index has {index.Length} coordinates, tensor has rank {Rank} (shape {ShapeString}).");
        long off = Offset;
        for (int d = 0; d < index.Length; d++)
        {
            int i = index[d] < 0 ? index[d] + _shape[d] : index[d];
            if ((uint)i >= (uint)_shape[d])
                throw new IndexOutOfRangeException($"Index {index[d]} is out of range for dimension {d} of size {_shape[d]} (shape {ShapeString}).");
            off += i * _strides[d];
        }
        return off;
    }

    /// <summary>All elements in row-major order as float32 (converting F16/BF16, following strides).</summary>
    public float[] ToArray()
    {
        using var c = DType == DType.F32 ? Contiguous() : ToFloat32();
        return c.AsSpan().ToArray();
    }

    // ---- conversion and copies ------------------------------------------------------------------

    /// <summary>A contiguous float32 copy (always a new storage, also for float32 input).</summary>
    public Tensor ToFloat32()
    {
        using var src = Contiguous();
        var dst = Empty(_shape);
        int n = checked((int)Count);
        var d = new Span<float>(dst.Data, n);
        switch (src.DType)
        {
            case DType.F32: new ReadOnlySpan<float>(src.RawPointer, n).CopyTo(d); break;
            case DType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src.RawPointer, n), d); break;
            default: BFloat16.ToSingle(new ReadOnlySpan<ushort>(src.RawPointer, n), d); break;
        }
        return dst;
    }

    /// <summary>A contiguous float16 copy of a float32 tensor (round to nearest even).</summary>
    public Tensor ToFloat16()
    {
        using var src = Contiguous();
        src.RequireF32("ToFloat16");
        var dst = Empty(DType.F16, _shape);
        int n = checked((int)Count);
        TensorPrimitives.ConvertToHalf(new ReadOnlySpan<float>(src.RawPointer, n), new Span<Half>(dst.RawPointer, n));
        return dst;
    }

    /// <summary>This tensor when already contiguous (as a new view that must be disposed), else a copy.</summary>
    public Tensor Contiguous()
    {
        ThrowIfDisposed();
        if (IsContiguous) return new Tensor(Storage, DType, _shape, _strides, Offset);
        var dst = Empty(DType, _shape);
        StridedCopy.Copy(this, dst);
        return dst;
    }

    /// <summary>Always a new contiguous storage.</summary>
    public Tensor Clone()
    {
        ThrowIfDisposed();
        var dst = Empty(DType, _shape);
        StridedCopy.Copy(this, dst);
        return dst;
    }

    /// <summary>Copies <paramref name="source"/> (same shape, same dtype) into this tensor's elements.</summary>
    public void CopyFrom(Tensor source)
    {
        ThrowIfDisposed();
        if (!ShapeUtil.SameShape(source._shape, _shape))
            throw new ArgumentException($"CopyFrom: source shape {source.ShapeString} differs from destination shape {ShapeString}.");
        if (source.DType != DType)
            throw new ArgumentException($"CopyFrom: source dtype {source.DType} differs from destination dtype {DType}.");
        StridedCopy.Copy(source, this);
    }

    // ---- lifetime ------------------------------------------------------------------------------

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Storage.Release();
    }

    void ThrowIfDisposed()
    {
        if (_disposed != 0 || Storage.IsReleased)
            throw new ObjectDisposedException(nameof(Tensor), $"Tensor of shape {ShapeString} was used after it was disposed.");
    }

    internal void RequireF32(string op)
    {
        ThrowIfDisposed();
        if (DType != DType.F32)
            throw new InvalidOperationException($"{op} needs a float32 tensor, got {DType} with shape {ShapeString}; call ToFloat32() first.");
    }

    internal int NormDim(int dim)
    {
        int d = dim < 0 ? dim + Rank : dim;
        if ((uint)d >= (uint)Rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of rank {Rank} (shape {ShapeString}).");
        return d;
    }

    public string ShapeString => ShapeUtil.Format(_shape);

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeString);
        if (DType != DType.F32) sb.Append(' ').Append(DType);
        if (_disposed != 0) return sb.Append(" (disposed)").ToString();
        int n = (int)Math.Min(Count, 8);
        if (n > 0)
        {
            using var flat = Reshape(-1);
            sb.Append(" [");
            for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ", ").Append(flat[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
            sb.Append(Count > n ? ", …]" : "]");
        }
        return sb.ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Exception ShapeError(string op, string message) => new ArgumentException($"{op}: {message}");
}
