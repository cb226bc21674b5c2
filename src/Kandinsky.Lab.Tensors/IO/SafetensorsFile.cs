using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// A validated, memory-mapped safetensors file. Opening reads and checks only the header (milliseconds even
/// for multi-gigabyte files); tensor data is paged in when first read. F32/F16/BF16 tensors are zero-copy
/// views of the mapping (copied only when the data is misaligned for its element type), and keep the mapping
/// alive after this object is disposed until the last view is disposed. Every dtype can also be read as a
/// typed array.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    readonly MappedFile _mapped;
    int _disposed;

    SafetensorsFile(string path, SafetensorsHeader header, MappedFile mapped)
    {
        Path = path;
        Header = header;
        _mapped = mapped;
    }

    public string Path { get; }
    public SafetensorsHeader Header { get; }
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => Header.Tensors;
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;
    public IEnumerable<string> Names => Header.Tensors.Select(t => t.Name);
    public bool Contains(string name) => Header.TryGet(name, out _);
    public SafetensorsTensorInfo Info(string name) => Header[name];

    /// <summary>Validates the header of <paramref name="path"/> and maps the file; throws <see cref="SafetensorsException"/> on a bad file.</summary>
    public static SafetensorsFile Open(string path)
    {
        using var stream = SafetensorsHeader.OpenRead(path);
        var header = SafetensorsHeader.Read(stream, path);
        MappedFile mapped;
        try { mapped = MappedFile.Map(stream); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsException($"{path}: cannot map the file: {e.Message}", path, inner: e);
        }
        return new SafetensorsFile(path, header, mapped);
    }

    // ---- tensors ---------------------------------------------------------------------------------

    /// <summary>An F32, F16 or BF16 tensor as stored (a view of the mapping; dispose it).</summary>
    public Tensor GetTensor(string name)
    {
        var info = Info(name);
        var dtype = info.DType.ToTensorDType()
            ?? throw new SafetensorsException($"{Path}: tensor '{name}' is {info.DType.HeaderName()}; only F32, F16 and BF16 load as tensors (use GetTensorAsFloat32 or a typed Read method).", Path, name);
        var shape = TensorShape(info);
        var data = DataPointer(info);
        if ((nuint)data % (nuint)info.DType.Size() == 0)
            return Tensor.FromPointer(data, dtype, shape, _mapped.Lease());
        var copy = Tensor.Empty(dtype, shape);
        Buffer.MemoryCopy(data, copy.RawPointer, info.ByteLength, info.ByteLength);
        return copy;
    }

    /// <summary>Any numeric tensor converted to a new float32 tensor (F32 input is copied too).</summary>
    public Tensor GetTensorAsFloat32(string name)
    {
        var info = Info(name);
        var shape = TensorShape(info);
        var result = Tensor.Empty(shape);
        ConvertToFloat32(info, new Span<float>(result.RawPointer, checked((int)info.Count)));
        return result;
    }

    // ---- raw typed data --------------------------------------------------------------------------

    /// <summary>The tensor's raw little-endian bytes; valid until this file is disposed.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = Info(name);
        return new ReadOnlySpan<byte>(DataPointer(info), checked((int)info.ByteLength));
    }

    /// <summary>
    /// The elements of a tensor whose dtype is exactly <typeparamref name="T"/>'s, as a zero-copy span of the mapping
    /// (valid until this file is disposed). BOOL tensors must be read with <see cref="ReadBool"/> (any non-zero byte is true).
    /// </summary>
    public ReadOnlySpan<T> GetSpan<T>(string name) where T : unmanaged
    {
        var info = Info(name);
        var wanted = SafetensorsDTypeExtensions.Of<T>();
        if (info.DType != wanted || wanted == SafetensorsDType.Bool)
            throw new SafetensorsException($"{Path}: tensor '{name}' is {info.DType.HeaderName()}; GetSpan<{typeof(T).Name}> needs {wanted.HeaderName()}{(wanted == SafetensorsDType.Bool ? " (use ReadBool)" : "")}.", Path, name);
        return MemoryMarshal.Cast<byte, T>(GetBytes(name));
    }

    /// <summary>The elements of a tensor whose dtype is exactly <typeparamref name="T"/>'s (long ↔ I64, ushort ↔ U16, bool ↔ BOOL …).</summary>
    public T[] ReadArray<T>(string name) where T : unmanaged => ReadArray<T>(name, out _);

    public T[] ReadArray<T>(string name, out long[] shape) where T : unmanaged
    {
        var info = Info(name);
        var wanted = SafetensorsDTypeExtensions.Of<T>();
        if (info.DType != wanted)
            throw new SafetensorsException($"{Path}: tensor '{name}' is {info.DType.HeaderName()}, not {wanted.HeaderName()}.", Path, name);
        shape = (long[])info.Shape.Clone();
        var result = new T[CheckedCount(info)];
        var bytes = new ReadOnlySpan<byte>(DataPointer(info), checked((int)info.ByteLength));
        bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        if (typeof(T) == typeof(bool)) NormalizeBools(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    public long[] ReadInt64(string name) => ReadArray<long>(name);
    public int[] ReadInt32(string name) => ReadArray<int>(name);
    public short[] ReadInt16(string name) => ReadArray<short>(name);
    public sbyte[] ReadInt8(string name) => ReadArray<sbyte>(name);
    public byte[] ReadUInt8(string name) => ReadArray<byte>(name);
    public ushort[] ReadUInt16(string name) => ReadArray<ushort>(name);
    public bool[] ReadBool(string name) => ReadArray<bool>(name);
    public double[] ReadFloat64(string name) => ReadArray<double>(name);
    public float[] ReadFloat32(string name) => ReadArray<float>(name);

    /// <summary>Any numeric dtype (floats, integers, BOOL as 0/1) converted to float32.</summary>
    public float[] ReadAsFloat32(string name)
    {
        var info = Info(name);
        var result = new float[CheckedCount(info)];
        ConvertToFloat32(info, result);
        return result;
    }

    void ConvertToFloat32(SafetensorsTensorInfo info, Span<float> dst)
    {
        var p = DataPointer(info);
        int n = dst.Length;
        // Aligned half-precision data converts with the vectorised routines; ReadUnaligned keeps misaligned files correct.
        switch (info.DType)
        {
            case SafetensorsDType.F32: new ReadOnlySpan<byte>(p, n * 4).CopyTo(MemoryMarshal.AsBytes(dst)); break;
            case SafetensorsDType.F16 when (nuint)p % 2 == 0:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(p, n), dst);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < n; i++) dst[i] = (float)Unsafe.ReadUnaligned<Half>(p + 2 * i);
                break;
            case SafetensorsDType.BF16 when (nuint)p % 2 == 0:
                BFloat16.ToSingle(new ReadOnlySpan<ushort>(p, n), dst);
                break;
            case SafetensorsDType.BF16:
                for (int i = 0; i < n; i++) dst[i] = BFloat16.ToSingle(Unsafe.ReadUnaligned<ushort>(p + 2 * i));
                break;
            case SafetensorsDType.F64:
                for (int i = 0; i < n; i++) dst[i] = (float)Unsafe.ReadUnaligned<double>(p + 8 * i);
                break;
            case SafetensorsDType.I64:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<long>(p + 8 * i);
                break;
            case SafetensorsDType.U64:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<ulong>(p + 8 * i);
                break;
            case SafetensorsDType.I32:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<int>(p + 4 * i);
                break;
            case SafetensorsDType.U32:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<uint>(p + 4 * i);
                break;
            case SafetensorsDType.I16:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<short>(p + 2 * i);
                break;
            case SafetensorsDType.U16:
                for (int i = 0; i < n; i++) dst[i] = Unsafe.ReadUnaligned<ushort>(p + 2 * i);
                break;
            case SafetensorsDType.I8:
                for (int i = 0; i < n; i++) dst[i] = ((sbyte*)p)[i];
                break;
            case SafetensorsDType.U8:
                TensorPrimitives.ConvertChecked<byte, float>(new ReadOnlySpan<byte>(p, n), dst);
                break;
            case SafetensorsDType.Bool:
                for (int i = 0; i < n; i++) dst[i] = p[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new SafetensorsException($"{Path}: tensor '{info.Name}' is {info.DType.HeaderName()}, which has no float32 conversion.", Path, info.Name);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    byte* DataPointer(SafetensorsTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _mapped.Pointer + Header.DataOffset + info.Begin;
    }

    int[] TensorShape(SafetensorsTensorInfo info)
    {
        var shape = new int[info.Shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (info.Shape[i] > int.MaxValue)
                throw new SafetensorsException($"{Path}: tensor '{info.Name}' has dimension {info.Shape[i]} in shape {info.ShapeString}, larger than a Tensor supports ({int.MaxValue}).", Path, info.Name);
            shape[i] = (int)info.Shape[i];
        }
        return shape;
    }

    int CheckedCount(SafetensorsTensorInfo info) => info.Count <= Array.MaxLength
        ? (int)info.Count
        : throw new SafetensorsException($"{Path}: tensor '{info.Name}' has {info.Count:N0} elements, more than an array holds.", Path, info.Name);

    /// <summary>A .NET bool must be 0 or 1; any non-zero byte in the file means true.</summary>
    static void NormalizeBools(Span<byte> bytes)
    {
        foreach (ref var b in bytes) b = b != 0 ? (byte)1 : (byte)0;
    }

    /// <summary>True while the mapping is alive (held by this file or by any tensor view).</summary>
    internal bool IsMappingAlive => _mapped.IsAlive;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _mapped.Release();
    }

    public override string ToString() => $"{Path} ({Tensors.Count} tensors, {Header.DataLength:N0} data bytes)";
}
