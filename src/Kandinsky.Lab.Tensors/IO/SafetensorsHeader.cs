using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>One tensor entry of a safetensors header. Offsets are relative to the start of the data section.</summary>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    public string ShapeString => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// A validated safetensors header. <see cref="Parse"/> is as strict as the reference Rust crate
/// (huggingface/safetensors <c>SafeTensors::read_metadata</c> + <c>Metadata::validate</c>) and additionally
/// rejects duplicate names, which serde would silently collapse. Every rejection is a <see cref="SafetensorsException"/>;
/// nothing is allocated from an untrusted size before it has been checked against the file length.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The reference crate's cap on the JSON header length.</summary>
    public const long MaxHeaderLength = 100_000_000;
    /// <summary>Nesting limit for the JSON header (a valid header nests 3 deep).</summary>
    public const int MaxJsonDepth = 64;

    readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    SafetensorsHeader(string file, long headerLength, List<SafetensorsTensorInfo> tensors, Dictionary<string, SafetensorsTensorInfo> byName,
        Dictionary<string, string> metadata)
    {
        File = file;
        HeaderLength = headerLength;
        Tensors = tensors;
        Metadata = metadata;
        _byName = byName;
    }

    public string File { get; }
    /// <summary>N, the JSON length (including padding) after the 8-byte prefix.</summary>
    public long HeaderLength { get; }
    /// <summary>Byte offset of the data section in the file (8 + N).</summary>
    public long DataOffset => 8 + HeaderLength;
    /// <summary>Tensors in data order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public long DataLength => Tensors.Count == 0 ? 0 : Tensors[^1].End;

    public bool TryGet(string name, out SafetensorsTensorInfo info) => _byName.TryGetValue(name, out info!);

    public SafetensorsTensorInfo this[string name] =>
        _byName.TryGetValue(name, out var info) ? info
            : throw new KeyNotFoundException($"{File}: no tensor named {Q(name)} (the file has {Tensors.Count} tensors).");

    /// <summary>Reads and validates the header of <paramref name="path"/> without mapping the data.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var stream = OpenRead(path);
        return Read(stream, path);
    }

    internal static FileStream OpenRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsException($"{path}: cannot open: {e.Message}", path, inner: e);
        }
    }

    internal static SafetensorsHeader Read(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Error(path, $"file is {fileLength} bytes, shorter than the 8-byte header length prefix");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BitConverter.ToUInt64(prefix);
        CheckHeaderLength(path, n, fileLength);
        var json = new byte[n];
        stream.ReadExactly(json);
        return Parse(json, fileLength - 8 - (long)n, path);
    }

    /// <summary>Validates a whole safetensors file held in memory (<paramref name="name"/> is used in messages).</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length < 8)
            throw Error(name, $"file is {file.Length} bytes, shorter than the 8-byte header length prefix");
        ulong n = BitConverter.ToUInt64(file[..8]);
        CheckHeaderLength(name, n, file.Length);
        return Parse(file.Slice(8, (int)n), file.Length - 8 - (long)n, name);
    }

    /// <summary>The length prefix is the first thing any other file fails on, so these messages say what the file is not.</summary>
    static void CheckHeaderLength(string path, ulong n, long fileLength)
    {
        const string NotSafetensors = "not a safetensors file: header length";
        if (n < 2)
            throw Error(path, $"{NotSafetensors} {n} is too small for a JSON object (at least 2 bytes, \"{{}}\")");
        if (n > MaxHeaderLength)
            throw Error(path, $"{NotSafetensors} {n:N0} exceeds the {MaxHeaderLength:N0}-byte limit");
        if (8 + (long)n > fileLength)
            throw Error(path, $"{NotSafetensors} {n:N0} runs past the end of the file ({fileLength:N0} bytes)");
    }

    /// <summary>Parses the JSON header bytes and checks every tensor against a data section of <paramref name="dataLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string file)
    {
        if (!Utf8.IsValid(json))
            throw Error(file, "header is not valid UTF-8");
        if (json.StartsWith("\uFEFF"u8))
            throw Error(file, "header starts with a byte-order mark; expected '{'");
        var tensors = new List<SafetensorsTensorInfo>();
        var byName = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        var scratch = new List<ulong>();
        Dictionary<string, string>? metadata = null;
        bool sawMetadata = false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Error(file, $"header JSON is not an object (starts with {Describe(reader)})");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (name == "__metadata__")
                {
                    if (sawMetadata) throw Error(file, "duplicate entry '__metadata__' in the header", name);
                    sawMetadata = true;
                    metadata = ReadMetadata(ref reader, file);
                    continue;
                }
                var info = ReadTensor(ref reader, name, file, scratch);
                if (!byName.TryAdd(name, info))
                    throw Error(file, $"duplicate entry {Q(name)} in the header", name);
                tensors.Add(info);
            }
            // The reader itself rejects anything but whitespace after the root object.
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw Error(file, $"header is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw Error(file, $"header is not valid JSON: {e.Message}");
        }
        Validate(tensors, dataLength, file);
        return new SafetensorsHeader(file, json.Length, tensors, byName, metadata ?? []);
    }

    static Dictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, string file)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, $"__metadata__ must be an object of string values, found {Describe(reader)}", "__metadata__");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Error(file, $"__metadata__ value of {Q(key)} must be a string, found {Describe(reader)}", "__metadata__");
            if (!result.TryAdd(key, reader.GetString()!))
                throw Error(file, $"duplicate key {Q(key)} in __metadata__", "__metadata__");
        }
        return result;
    }

    static readonly (byte[] Utf8, SafetensorsDType DType)[] DTypeNames =
        Enum.GetValues<SafetensorsDType>().Select(d => (Encoding.UTF8.GetBytes(d.HeaderName()), d)).ToArray();

    static SafetensorsTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string file, List<ulong> scratch)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Error(file, $"tensor {Q(name)}: entry must be an object with dtype, shape and data_offsets, found {Describe(reader)}", name);
        SafetensorsDType? dtype = null;
        long[]? shape = null;
        bool haveOffsets = false;
        ulong begin = 0, end = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                reader.Read();
                if (dtype != null) throw Error(file, $"tensor {Q(name)}: duplicate field 'dtype'", name);
                if (reader.TokenType != JsonTokenType.String)
                    throw Error(file, $"tensor {Q(name)}: dtype must be a string, found {Describe(reader)}", name);
                dtype = ParseDType(ref reader, name, file);
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                reader.Read();
                if (shape != null) throw Error(file, $"tensor {Q(name)}: duplicate field 'shape'", name);
                ReadUnsignedArray(ref reader, name, "shape", file, scratch);
                shape = new long[scratch.Count];
                for (int i = 0; i < shape.Length; i++)
                {
                    if (scratch[i] > long.MaxValue)
                        throw Error(file, $"tensor {Q(name)}: dimension {scratch[i]} in shape {FormatShape(scratch)} is too large", name);
                    shape[i] = (long)scratch[i];
                }
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                reader.Read();
                if (haveOffsets) throw Error(file, $"tensor {Q(name)}: duplicate field 'data_offsets'", name);
                ReadUnsignedArray(ref reader, name, "data_offsets", file, scratch);
                if (scratch.Count != 2)
                    throw Error(file, $"tensor {Q(name)}: data_offsets must be [begin, end], found {scratch.Count} numbers", name);
                (begin, end, haveOffsets) = (scratch[0], scratch[1], true);
            }
            else
            {
                // Like the reference crate, unknown fields of a tensor entry are ignored.
                reader.Read();
                reader.Skip();
            }
        }
        if (dtype == null) throw Error(file, $"tensor {Q(name)}: missing field 'dtype'", name);
        if (shape == null) throw Error(file, $"tensor {Q(name)}: missing field 'shape'", name);
        if (!haveOffsets) throw Error(file, $"tensor {Q(name)}: missing field 'data_offsets'", name);

        ulong count = 1;
        foreach (var d in shape)
            if (!TryMultiply(count, (ulong)d, out count))
                throw Error(file, $"tensor {Q(name)}: element count of shape {FormatShape(shape)} overflows 64 bits", name);
        if (!TryMultiply(count, (ulong)dtype.Value.Size(), out var bytes))
            throw Error(file, $"tensor {Q(name)}: byte size of shape {FormatShape(shape)} × {dtype.Value.HeaderName()} overflows 64 bits", name);
        if (end < begin)
            throw Error(file, $"tensor {Q(name)}: data_offsets [{begin}, {end}] are reversed", name);
        if (end - begin != bytes)
            throw Error(file, $"tensor {Q(name)}: data_offsets [{begin}, {end}] span {end - begin} bytes, but {dtype.Value.HeaderName()} {FormatShape(shape)} needs {bytes}", name);
        if (end > long.MaxValue)
            throw Error(file, $"tensor {Q(name)}: data_offsets [{begin}, {end}] are beyond any file size", name);
        return new SafetensorsTensorInfo(name, dtype.Value, shape, (long)begin, (long)end);
    }

    static SafetensorsDType ParseDType(ref Utf8JsonReader reader, string name, string file)
    {
        foreach (var (utf8, dtype) in DTypeNames)
            if (reader.ValueTextEquals(utf8)) return dtype;
        throw Error(file, $"tensor {Q(name)}: unknown dtype '{Truncate(reader.GetString()!)}'", name);
    }

    /// <summary>Reads an array of unsigned integers into <paramref name="values"/> (a reused buffer).</summary>
    static void ReadUnsignedArray(ref Utf8JsonReader reader, string name, string field, string file, List<ulong> values)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Error(file, $"tensor {Q(name)}: {field} must be an array of non-negative integers, found {Describe(reader)}", name);
        values.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out var v))
                throw Error(file, $"tensor {Q(name)}: {field} must hold non-negative integers, found {Describe(reader)}", name);
            values.Add(v);
        }
    }

    /// <summary>Data offsets must tile the data section exactly: sorted by offset, no gap, no overlap, ending at the file end.</summary>
    static void Validate(List<SafetensorsTensorInfo> tensors, long dataLength, string file)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var t in tensors)
        {
            if (t.Begin != expected)
            {
                var problem = t.Begin > expected ? $"leave a gap (previous data ends at {expected})" : $"overlap the previous tensor (which ends at {expected})";
                throw Error(file, $"tensor {Q(t.Name)}: data_offsets [{t.Begin}, {t.End}] {problem}", t.Name);
            }
            expected = t.End;
        }
        if (expected > dataLength)
        {
            var last = tensors[^1];
            throw Error(file, $"tensor {Q(last.Name)}: data_offsets [{last.Begin}, {last.End}] run past the end of the data section ({dataLength} bytes); the file is truncated", last.Name);
        }
        if (expected < dataLength)
            throw Error(file, $"the data section has {dataLength} bytes but the tensors cover {expected}: {dataLength - expected} trailing bytes");
    }

    static bool TryMultiply(ulong a, ulong b, out ulong product)
    {
        var wide = Math.BigMul(a, b, out product);
        return wide == 0;
    }

    static string FormatShape<T>(IEnumerable<T> shape) => "[" + string.Join(", ", shape) + "]";

    static string Describe(Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"string \"{Truncate(reader.GetString()!)}\"",
        JsonTokenType.Number => $"number {Truncate(Encoding.UTF8.GetString(reader.ValueSpan))}",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => reader.TokenType.ToString().ToLowerInvariant(),
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        var t => t.ToString(),
    };

    static string Truncate(string s) => Printable(s, 40);

    static string Q(string name) => "'" + Printable(name) + "'";

    /// <summary>
    /// A name from an untrusted file made safe to print on one line: control characters escaped as \uXXXX
    /// and long names shortened with "…".
    /// </summary>
    public static string Printable(string text, int maxLength = 120)
    {
        bool clean = text.Length <= maxLength;
        foreach (var c in text) if (char.IsControl(c)) { clean = false; break; }
        if (clean) return text;
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (sb.Length >= maxLength) { sb.Append('…'); break; }
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    internal static SafetensorsException Error(string file, string message, string? tensor = null) =>
        new($"{file}: {message.TrimEnd('.')}.", file, tensor);
}
