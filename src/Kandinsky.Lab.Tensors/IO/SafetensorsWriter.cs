using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// Writes safetensors files the way Python's <c>safetensors.save_file</c> does: tensors sorted by dtype
/// (widest alignment first, the reference crate's order) then by name, the header as compact JSON with
/// <c>__metadata__</c> first, space-padded to a multiple of 8 so every tensor's data is 8-byte aligned.
/// Tensors added with <see cref="Add(string, Tensor)"/> are held as views until the writer is disposed.
/// </summary>
public sealed unsafe class SafetensorsWriter : IDisposable
{
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Free-form string metadata written as <c>__metadata__</c> (omitted when empty).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>Adds a tensor (F32/F16/BF16, any strides); the writer keeps a contiguous view until disposed.</summary>
    public SafetensorsWriter Add(string name, Tensor tensor)
    {
        CheckName(name);
        var view = tensor.Contiguous();
        _entries.Add(name, new Entry(tensor.DType.ToSafetensors(), tensor.Shape.ToArray().Select(d => (long)d).ToArray(), view, null));
        return this;
    }

    /// <summary>Adds typed data (long → I64, ushort → U16, byte → U8, bool → BOOL, Half → F16 …), copied now.</summary>
    public SafetensorsWriter Add<T>(string name, ReadOnlySpan<T> data, params long[] shape) where T : unmanaged =>
        AddRaw(name, SafetensorsDTypeExtensions.Of<T>(), shape, MemoryMarshal.AsBytes(data));

    public SafetensorsWriter Add<T>(string name, T[] data, params long[] shape) where T : unmanaged =>
        Add(name, (ReadOnlySpan<T>)data, shape);

    /// <summary>Adds raw little-endian bytes of any dtype (e.g. BF16 bits), copied now.</summary>
    public SafetensorsWriter AddRaw(string name, SafetensorsDType dtype, long[] shape, ReadOnlySpan<byte> bytes)
    {
        CheckName(name);
        long count = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count = checked(count * d);
        }
        if (checked(count * dtype.Size()) != bytes.Length)
            throw new ArgumentException($"Tensor '{name}': {bytes.Length} bytes do not match {dtype.HeaderName()} [{string.Join(", ", shape)}] ({count * dtype.Size()} bytes).");
        _entries.Add(name, new Entry(dtype, (long[])shape.Clone(), null, bytes.ToArray()));
        return this;
    }

    void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved for the metadata map and cannot name a tensor.");
        if (_entries.ContainsKey(name)) throw new ArgumentException($"A tensor named '{name}' was already added.");
    }

    /// <summary>Writes the file (creating or replacing it).</summary>
    public void Save(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(stream);
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    public void WriteTo(Stream stream)
    {
        var ordered = _entries.OrderByDescending(e => e.Value.DType).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var header = BuildHeader(ordered);
        Span<byte> prefix = stackalloc byte[8];
        BitConverter.TryWriteBytes(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var (_, entry) in ordered) entry.WriteData(stream);
    }

    byte[] BuildHeader(List<KeyValuePair<string, Entry>> ordered)
    {
        var sb = new StringBuilder("{");
        bool first = true;
        void Key(string key)
        {
            if (!first) sb.Append(',');
            first = false;
            AppendJsonString(sb, key);
            sb.Append(':');
        }
        if (Metadata.Count > 0)
        {
            Key("__metadata__");
            sb.Append('{');
            bool firstMeta = true;
            foreach (var (k, v) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!firstMeta) sb.Append(',');
                firstMeta = false;
                AppendJsonString(sb, k);
                sb.Append(':');
                AppendJsonString(sb, v);
            }
            sb.Append('}');
        }
        long offset = 0;
        foreach (var (name, entry) in ordered)
        {
            Key(name);
            long end = offset + entry.ByteLength;
            sb.Append("{\"dtype\":\"").Append(entry.DType.HeaderName()).Append("\",\"shape\":[")
              .AppendJoin(',', entry.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))
              .Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        sb.Append('}');
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        int padded = (bytes.Length + 7) / 8 * 8;
        var header = new byte[padded];
        bytes.CopyTo(header, 0);
        header.AsSpan(bytes.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>JSON string escaping as serde_json writes it: quotes, backslashes and control characters only.</summary>
    static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Writes <paramref name="tensors"/> (and optional metadata) to <paramref name="path"/> in one call.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in tensors) writer.Add(name, tensor);
        if (metadata != null) foreach (var (k, v) in metadata) writer.Metadata[k] = v;
        writer.Save(path);
    }

    public void Dispose()
    {
        foreach (var e in _entries.Values) e.Tensor?.Dispose();
        _entries.Clear();
    }

    sealed record Entry(SafetensorsDType DType, long[] Shape, Tensor? Tensor, byte[]? Bytes)
    {
        public long ByteLength => Bytes?.LongLength ?? Tensor!.Count * DType.Size();

        public void WriteData(Stream stream)
        {
            if (Bytes != null) { stream.Write(Bytes); return; }
            var p = (byte*)Tensor!.RawPointer;
            for (long done = 0, total = ByteLength; done < total;)
            {
                int chunk = (int)Math.Min(total - done, 1 << 30);
                stream.Write(new ReadOnlySpan<byte>(p + done, chunk));
                done += chunk;
            }
        }
    }
}
