using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>A component entry of <c>model_index.json</c>: <c>"prior": ["diffusers", "PriorTransformer"]</c> (both may be null).</summary>
public sealed record ComponentSpec(string Name, string? Library, string? ClassName);

/// <summary><c>model_index.json</c> of a diffusers pipeline folder.</summary>
public sealed class ModelIndex
{
    ModelIndex(string path, JsonObject json, string? className, string? diffusersVersion, IReadOnlyList<ComponentSpec> components)
    {
        Path = path;
        Json = json;
        ClassName = className;
        DiffusersVersion = diffusersVersion;
        Components = components;
    }

    public string Path { get; }
    public JsonObject Json { get; }
    /// <summary>The pipeline class (<c>_class_name</c>), e.g. "KandinskyPriorPipeline".</summary>
    public string? ClassName { get; }
    public string? DiffusersVersion { get; }
    /// <summary>Components in file order; keys starting with '_' are not components.</summary>
    public IReadOnlyList<ComponentSpec> Components { get; }

    public static ModelIndex Read(string path)
    {
        var json = ModelFolder.ReadJsonObject(path);
        var components = new List<ComponentSpec>();
        foreach (var (key, value) in json)
        {
            if (key.StartsWith('_')) continue;
            // Pipeline options (e.g. "requires_safety_checker": false) are not [library, class] pairs.
            if (value is not JsonArray { Count: 2 } pair) continue;
            components.Add(new ComponentSpec(key, StringOrNull(pair[0], path, key), StringOrNull(pair[1], path, key)));
        }
        return new ModelIndex(path, json, StringOrNull(json["_class_name"], path, "_class_name"),
            StringOrNull(json["_diffusers_version"], path, "_diffusers_version"), components);
    }

    static string? StringOrNull(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidDataException($"{path}: '{key}' must hold strings or null, found {node.ToJsonString()}."),
    };
}

/// <summary>
/// A checkpoint in the diffusers layout: <c>model_index.json</c> and one sub-folder per component, each with its
/// config (<c>config.json</c>, <c>scheduler_config.json</c> or <c>preprocessor_config.json</c>) and weights.
/// </summary>
public sealed class ModelFolder
{
    readonly Dictionary<string, ModelComponent> _components;

    ModelFolder(string path, ModelIndex index, List<ModelComponent> components)
    {
        Path = path;
        Index = index;
        Components = components;
        _components = components.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public ModelIndex Index { get; }
    public string? ClassName => Index.ClassName;
    public IReadOnlyList<ModelComponent> Components { get; }

    public bool Has(string component) => _components.ContainsKey(component);

    public ModelComponent this[string component] => _components.TryGetValue(component, out var c) ? c
        : throw new KeyNotFoundException($"{Index.Path}: no component '{component}' (components: {string.Join(", ", _components.Keys)}).");

    /// <summary>Opens a pipeline folder (reads <c>model_index.json</c>; components are read lazily).</summary>
    public static ModelFolder Open(string path)
    {
        var indexPath = System.IO.Path.Combine(path, "model_index.json");
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"{path}: not a diffusers pipeline folder (no model_index.json).", indexPath);
        var index = ModelIndex.Read(indexPath);
        var components = index.Components.Select(s => new ModelComponent(System.IO.Path.Combine(path, s.Name), s.Name, s.Library, s.ClassName)).ToList();
        return new ModelFolder(path, index, components);
    }

    /// <summary>True when <paramref name="path"/> holds a <c>model_index.json</c>.</summary>
    public static bool IsModelFolder(string path) => File.Exists(System.IO.Path.Combine(path, "model_index.json"));

    /// <summary>Options for reading config files into typed records: snake_case names, comments and trailing commas tolerated.</summary>
    public static JsonSerializerOptions ConfigJsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 64,
    };

    internal static JsonObject ReadJsonObject(string path)
    {
        JsonNode? node;
        try
        {
            using var stream = File.OpenRead(path);
            node = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        return node as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object, found {node?.GetValueKind().ToString() ?? "null"}.");
    }

    public override string ToString() => $"{Path} ({ClassName}: {string.Join(", ", Components.Select(c => c.Name))})";
}

/// <summary>One component folder: its config and its weights. Also usable alone (<see cref="Open"/>) for a bare component folder.</summary>
public sealed class ModelComponent
{
    /// <summary>Config file names in the order they are looked for.</summary>
    public static readonly string[] ConfigFileNames = ["config.json", "scheduler_config.json", "preprocessor_config.json"];

    JsonObject? _config;

    public ModelComponent(string path, string name, string? library = null, string? className = null)
    {
        Path = path;
        Name = name;
        Library = library;
        DeclaredClassName = className;
    }

    /// <summary>A component folder outside a pipeline (e.g. a golden case's <c>model/</c>).</summary>
    public static ModelComponent Open(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: component folder not found.");
        return new ModelComponent(path, System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path)));
    }

    public string Path { get; }
    public string Name { get; }
    public string? Library { get; }
    /// <summary>The class named in model_index.json (null for a bare folder or a [null, null] entry).</summary>
    public string? DeclaredClassName { get; }
    /// <summary>The declared class, else the config's <c>_class_name</c>, else its first <c>architectures</c> entry.</summary>
    public string? ClassName => DeclaredClassName ?? ConfigClassName;

    public bool Exists => Directory.Exists(Path);

    /// <summary>The config file of this component, or null when it has none (e.g. a tokenizer listed as [null, null]).</summary>
    public string? ConfigPath => ConfigFileNames.Select(f => System.IO.Path.Combine(Path, f)).FirstOrDefault(File.Exists);

    public bool HasConfig => ConfigPath != null;

    /// <summary>The config as a mutable JSON object (read once).</summary>
    public JsonObject Config => _config ??= ModelFolder.ReadJsonObject(ConfigPath
        ?? throw new FileNotFoundException($"{Path}: component '{Name}' has no {string.Join(" / ", ConfigFileNames)}."));

    /// <summary>The config as a read-only <see cref="JsonElement"/>.</summary>
    public JsonElement ConfigElement => JsonSerializer.SerializeToElement(Config);

    /// <summary>Deserializes the config into <typeparamref name="T"/> (snake_case keys, unknown keys ignored).</summary>
    public T ReadConfig<T>()
    {
        var path = ConfigPath ?? throw new FileNotFoundException($"{Path}: component '{Name}' has no config file.");
        try
        {
            return Config.Deserialize<T>(ModelFolder.ConfigJsonOptions)
                   ?? throw new InvalidDataException($"{path}: the config is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: cannot read the config as {typeof(T).Name}: {e.Message}", e);
        }
    }

    string? ConfigClassName
    {
        get
        {
            if (!HasConfig) return null;
            if (Config["_class_name"] is JsonValue v && v.TryGetValue<string>(out var s)) return s;
            if (Config["architectures"] is JsonArray { Count: > 0 } a && a[0] is JsonValue first && first.TryGetValue<string>(out var arch)) return arch;
            return null;
        }
    }

    /// <summary>True when the folder holds safetensors weights this loader can find.</summary>
    public bool HasWeights
    {
        get
        {
            if (!Exists) return false;
            try { SafetensorsWeightStore.FindWeights(Path); return true; }
            catch (SafetensorsException) { return false; }
        }
    }

    /// <summary>The weight file (or shard index) that <see cref="OpenWeights"/> opens.</summary>
    public string WeightsPath(string? variant = null) => SafetensorsWeightStore.FindWeights(Path, variant);

    /// <summary>Opens the component's weights (single file or sharded) as a store for a <see cref="WeightCursor"/>.</summary>
    public SafetensorsWeightStore OpenWeights(string? variant = null) => SafetensorsWeightStore.Open(Path, variant);

    /// <summary>The number of parameters (elements over all tensors), from the headers only.</summary>
    public long ParameterCount(string? variant = null)
    {
        using var store = OpenWeights(variant);
        return store.ParameterCount;
    }

    public override string ToString() => $"{Name} ({Library}/{ClassName}) at {Path}";
}
