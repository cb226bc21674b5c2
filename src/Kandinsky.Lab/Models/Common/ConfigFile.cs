using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kandinsky.Lab.Models.Common;

/// <summary>A config record mirroring a config.json (or scheduler_config.json, preprocessor_config.json) key for key.</summary>
public interface IConfig<TSelf> where TSelf : class, IConfig<TSelf>
{
    /// <summary>
    /// Throws for a value outside what this port implements, naming <paramref name="source"/>, the key, the value
    /// found and what is expected; returns this config.
    /// </summary>
    TSelf Validate(string source);
}

/// <summary>
/// The one reader (and writer) of diffusers / transformers config files: keys mapped by the records'
/// JsonPropertyName attributes, unknown keys ignored, comments, trailing commas and the quoted <c>"NaN"</c> /
/// <c>"Infinity"</c> / <c>"-Infinity"</c> number forms accepted (the bare literals Python's json module writes are not
/// yet: System.Text.Json rejects them as tokens). Every config is validated on reading.
/// </summary>
public static class ConfigFile
{
    public static readonly JsonSerializerOptions ReadOptions = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Reads and validates the config file at <paramref name="path"/>.</summary>
    public static T Load<T>(string path) where T : class, IConfig<T>
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file not found: {path}", path);
        return Parse<T>(File.ReadAllText(path), path);
    }

    /// <summary>Reads and validates config JSON; <paramref name="source"/> names it in errors.</summary>
    public static T Parse<T>(string json, string source) where T : class, IConfig<T>
    {
        T? config;
        try { config = JsonSerializer.Deserialize<T>(json, ReadOptions); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: cannot read as {typeof(T).Name}: {e.Message}", e); }
        return (config ?? throw new InvalidDataException($"{source}: the config is empty (null).")).Validate(source);
    }

    /// <summary>The config as indented JSON, every key written (nulls included), as diffusers saves it.</summary>
    public static string ToJson<T>(T config) where T : class, IConfig<T> => JsonSerializer.Serialize(config, WriteOptions);

    /// <summary>A config value as it reads in JSON, for error messages.</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Show)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };

    /// <summary>Throws unless every value is positive: "<c>source: key is value, expected a positive integer.</c>"</summary>
    public static void RequirePositive(string source, params (string Key, int Value)[] values)
    {
        foreach (var (key, value) in values)
            if (value <= 0) throw new InvalidDataException($"{source}: {key} is {value}, expected a positive integer.");
    }

    /// <summary>Throws unless <paramref name="hidden"/> splits evenly into <paramref name="heads"/> heads.</summary>
    public static void RequireHeads(string source, int hidden, int heads, string hiddenKey = "hidden_size", string headsKey = "num_attention_heads")
    {
        if (hidden % heads != 0)
            throw new InvalidDataException($"{source}: {hiddenKey} {hidden} is not divisible by {headsKey} {heads}.");
    }
}

/// <summary>Reads a config value that diffusers allows as an int or a list of ints (e.g. attention_head_dim).</summary>
internal sealed class IntOrIntListConverter : JsonConverter<int[]>
{
    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException($"expected an int or a list of ints, found {reader.TokenType}");
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) values.Add(reader.GetInt32());
        return [.. values];
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1) { writer.WriteNumberValue(value[0]); return; }
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
