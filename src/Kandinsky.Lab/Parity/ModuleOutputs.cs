using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Parity;

/// <summary>One named result: a float32 tensor, or int64 / uint8 values with their shape.</summary>
public sealed class ParityValue : IDisposable
{
    ParityValue(int[] shape, Tensor? floats, long[]? int64, byte[]? uint8)
    {
        Shape = shape;
        Float = floats;
        Int64 = int64;
        UInt8 = uint8;
    }

    public int[] Shape { get; }
    public Tensor? Float { get; }
    public long[]? Int64 { get; }
    public byte[]? UInt8 { get; }

    /// <summary>Takes ownership of <paramref name="t"/>.</summary>
    public static ParityValue Of(Tensor t) => new(t.ShapeArray(), t, null, null);
    public static ParityValue Of(long[] values, params int[] shape) => new(shape, null, values, null);
    public static ParityValue Of(byte[] values, params int[] shape) => new(shape, null, null, values);

    public string ShapeString => ShapeUtil.Format(Shape);

    /// <summary>The values as doubles (for comparisons), row-major.</summary>
    public double[] ToDoubles() =>
        Float != null ? Float.ToArray().Select(v => (double)v).ToArray()
        : Int64 != null ? Int64.Select(v => (double)v).ToArray()
        : UInt8!.Select(v => (double)v).ToArray();

    public void Dispose() => Float?.Dispose();
}

/// <summary>The named outputs (<c>out.*</c>) and traces (<c>trace.*</c>) of one module run.</summary>
public sealed class ModuleOutputs : IDisposable
{
    readonly Dictionary<string, ParityValue> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, ParityValue> Values => _values;

    /// <summary>Adds (or replaces) <paramref name="name"/>; takes ownership of the value.</summary>
    public void Set(string name, ParityValue value)
    {
        if (_values.TryGetValue(name, out var old)) old.Dispose();
        _values[name] = value;
    }

    /// <summary>Adds a copy of <paramref name="t"/> (for trace callbacks, whose tensors belong to the caller).</summary>
    public void SetCopy(string name, Tensor t) => Set(name, ParityValue.Of(t.Clone()));

    /// <summary>Writes every value to a safetensors file (F32, I64, U8).</summary>
    public void Save(string path)
    {
        using var writer = new SafetensorsWriter();
        foreach (var (name, v) in _values)
        {
            var shape = v.Shape.Select(d => (long)d).ToArray();
            if (v.Float != null) writer.Add(name, v.Float);
            else if (v.Int64 != null) writer.Add(name, v.Int64, shape);
            else writer.Add(name, v.UInt8!, shape);
        }
        writer.Save(path);
    }

    public void Dispose()
    {
        foreach (var v in _values.Values) v.Dispose();
        _values.Clear();
    }
}
