using System.Text.Json;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// The tensors of one checkpoint — a single <c>.safetensors</c> file or the shards named by a
/// <c>*.safetensors.index.json</c> — as an <see cref="IWeightStore"/> for the <see cref="WeightCursor"/>.
/// F32/F16/BF16 tensors are handed out as stored (zero-copy views); other numeric dtypes (e.g. I64 buffers)
/// are converted to float32 copies. Dispose the store when the network is built; views stay valid.
/// </summary>
public sealed class SafetensorsWeightStore : IWeightStore, IDisposable
{
    /// <summary>Checkpoint file stems diffusers and transformers write, in preference order.</summary>
    public static readonly string[] WeightFileStems = ["diffusion_pytorch_model", "model"];

    readonly List<SafetensorsFile> _files;
    readonly Dictionary<string, SafetensorsFile> _owner;

    SafetensorsWeightStore(string source, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        Source = source;
        _files = files;
        _owner = owner;
    }

    /// <summary>The file or index the store was opened from.</summary>
    public string Source { get; }
    public IReadOnlyList<SafetensorsFile> Files => _files;
    public IEnumerable<string> Keys => _owner.Keys;
    public int Count => _owner.Count;
    public long ParameterCount => _owner.Select(kv => kv.Value.Info(kv.Key).Count).Sum();

    public bool TryGet(string key, out Tensor tensor, out string source)
    {
        if (!_owner.TryGetValue(key, out var file))
        {
            tensor = null!;
            source = Source;
            return false;
        }
        source = file.Path;
        tensor = file.Info(key).DType.ToTensorDType() != null ? file.GetTensor(key) : file.GetTensorAsFloat32(key);
        return true;
    }

    public SafetensorsTensorInfo Info(string key) => _owner.TryGetValue(key, out var f) ? f.Info(key)
        : throw new KeyNotFoundException($"{Source}: no tensor named '{P(key)}'.");

    /// <summary>The file holding <paramref name="key"/> (for reading non-float data with its typed methods).</summary>
    public SafetensorsFile FileOf(string key) => _owner.TryGetValue(key, out var f) ? f
        : throw new KeyNotFoundException($"{Source}: no tensor named '{P(key)}'.");

    /// <summary>
    /// Opens a <c>.safetensors</c> file, a <c>.safetensors.index.json</c>, or a component folder holding one of
    /// them (<c>diffusion_pytorch_model[.variant].safetensors</c>, <c>model[.variant].safetensors</c>, or their index).
    /// </summary>
    public static SafetensorsWeightStore Open(string path, string? variant = null)
    {
        if (Directory.Exists(path)) return Open(FindWeights(path, variant));
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) return OpenIndex(path);
        var file = SafetensorsFile.Open(path);
        return new SafetensorsWeightStore(path, [file], file.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal));
    }

    /// <summary>The weight file or index of a component folder; throws naming what was looked for.</summary>
    public static string FindWeights(string folder, string? variant = null)
    {
        var suffix = variant == null ? "" : "." + variant;
        foreach (var stem in WeightFileStems)
        {
            var single = Path.Combine(folder, $"{stem}{suffix}.safetensors");
            if (File.Exists(single)) return single;
            var index = single + ".index.json";
            if (File.Exists(index)) return index;
        }
        var any = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.safetensors") : [];
        if (variant == null && any.Length == 1) return any[0];
        var expected = string.Join(", ", WeightFileStems.Select(s => $"{s}{suffix}.safetensors[.index.json]"));
        throw new SafetensorsException(any.Length == 0
            ? $"{folder}: no safetensors weights found (expected {expected})."
            : $"{folder}: cannot tell which weights to load among {string.Join(", ", any.Select(Path.GetFileName))} (expected {expected}).", folder);
    }

    /// <summary>
    /// Opens a sharded checkpoint. Strict: every shard must exist inside the index's folder, every tensor the
    /// index lists must be in the shard it names, and no tensor may appear in two shards or be missing from the index.
    /// </summary>
    public static SafetensorsWeightStore OpenIndex(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var files = new List<SafetensorsFile>();
        try
        {
            var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var shard in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var shardPath = ResolveShard(indexPath, folder, shard);
                if (!File.Exists(shardPath))
                    throw new SafetensorsException($"{indexPath}: shard '{P(shard)}' does not exist ({shardPath}).", indexPath);
                var file = SafetensorsFile.Open(shardPath);
                files.Add(file);
                byShard[shard] = file;
            }
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var (shard, file) in byShard)
                foreach (var name in file.Names)
                {
                    if (owner.TryGetValue(name, out var other))
                    {
                        // In two shards: the weight_map can name only one of them, so that is the one problem to report.
                        problems.Add($"'{P(name)}' is present in both {P(Path.GetFileName(other.Path))} and {P(shard)}");
                        continue;
                    }
                    owner[name] = file;
                    if (!weightMap.TryGetValue(name, out var listed))
                        problems.Add($"'{P(name)}' is in {P(shard)} but not in the weight_map");
                    else if (listed != shard && !(byShard.TryGetValue(listed, out var named) && named.Contains(name)))
                        problems.Add($"'{P(name)}' is in {P(shard)} but the weight_map puts it in {P(listed)}");
                }
            foreach (var (name, shard) in weightMap)
                if (!byShard[shard].Contains(name))
                    problems.Add($"the weight_map puts '{P(name)}' in {P(shard)}, which has no such tensor");
            if (problems.Count > 0)
                throw new SafetensorsException($"{indexPath}: the index does not match its shards: {string.Join("; ", problems.Take(10))}" +
                                               (problems.Count > 10 ? $"; and {problems.Count - 10} more." : "."), indexPath);
            return new SafetensorsWeightStore(indexPath, files, owner);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    static string ResolveShard(string indexPath, string folder, string shard)
    {
        if (shard.Length == 0 || Path.IsPathRooted(shard) || shard.Split('/', '\\').Contains(".."))
            throw new SafetensorsException($"{indexPath}: shard path '{P(shard)}' must be a file name inside the checkpoint folder.", indexPath);
        var full = Path.GetFullPath(Path.Combine(folder, shard));
        if (!full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new SafetensorsException($"{indexPath}: shard path '{P(shard)}' leaves the checkpoint folder.", indexPath);
        return full;
    }

    /// <summary>Reads <c>weight_map</c> (tensor name → shard file) with the raw reader so duplicate names are caught.</summary>
    static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        byte[] bytes;
        try
        {
            // An index lists names only; anything past the header cap is not an index worth reading into memory.
            var length = new FileInfo(indexPath).Length;
            if (length > SafetensorsHeader.MaxHeaderLength)
                throw new SafetensorsException($"{indexPath}: the index is {length:N0} bytes, over the {SafetensorsHeader.MaxHeaderLength:N0}-byte limit.", indexPath);
            bytes = File.ReadAllBytes(indexPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafetensorsException($"{indexPath}: cannot read the index: {e.Message}", indexPath, inner: e);
        }
        Dictionary<string, string>? map = null;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = SafetensorsHeader.MaxJsonDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new SafetensorsException($"{indexPath}: the index is not a JSON object.", indexPath);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                if (!seen.Add(key)) throw new SafetensorsException($"{indexPath}: duplicate key '{P(key)}'.", indexPath);
                reader.Read();
                if (key != "weight_map") { reader.Skip(); continue; }
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new SafetensorsException($"{indexPath}: weight_map must be an object of tensor name → shard file.", indexPath);
                map = new Dictionary<string, string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                        throw new SafetensorsException($"{indexPath}: weight_map entry '{P(name)}' must name a shard file.", indexPath, name);
                    if (!map.TryAdd(name, reader.GetString()!))
                        throw new SafetensorsException($"{indexPath}: tensor '{P(name)}' is listed twice in the weight_map.", indexPath, name);
                }
            }
            while (reader.Read()) { }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new SafetensorsException($"{indexPath}: the index is not valid JSON: {e.Message}", indexPath, inner: e);
        }
        return map ?? throw new SafetensorsException($"{indexPath}: the index has no weight_map.", indexPath);
    }

    static string P(string text) => SafetensorsHeader.Printable(text);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    public override string ToString() => $"{Source} ({Count} tensors in {_files.Count} file(s))";
}
