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
/// JsonPropertyName attributes, unknown keys ignored, comments, trailing commas and the number literals <c>NaN</c>,
/// <c>Infinity</c> and <c>-Infinity</c> accepted both quoted and bare (Python's json module writes them bare, e.g.
/// diffusers' <c>"lambda_min_clipped": -Infinity</c>). Every config is validated on reading.
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
        try { config = JsonSerializer.Deserialize<T>(QuoteNamedLiterals(json), ReadOptions); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: cannot read as {typeof(T).Name}: {e.Message}", e); }
        return (config ?? throw new InvalidDataException($"{source}: the config is empty (null).")).Validate(source);
    }

    /// <summary>
    /// Parses JSON as this reader does (comments, trailing commas, bare <c>NaN</c> / <c>Infinity</c> / <c>-Infinity</c>)
    /// into a document whose named literals are strings; read numbers with <see cref="GetDouble"/>.
    /// </summary>
    public static JsonDocument ParseDocument(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(QuoteNamedLiterals(json), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: invalid JSON: {e.Message}", e);
        }
    }

    /// <summary>A number of a <see cref="ParseDocument"/> document: a JSON number or one of the quoted named literals.</summary>
    public static double GetDouble(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String when NamedLiteral(e.GetString()) is { } v => v,
        _ => throw new InvalidDataException($"expected a number, found {e.ValueKind} {e.GetRawText()}"),
    };

    static double? NamedLiteral(string? s) => s switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => null,
    };

    static readonly string[] NamedLiterals = ["-Infinity", "Infinity", "NaN"];

    /// <summary>
    /// Puts quotes around the bare literals NaN, Infinity and -Infinity (which System.Text.Json reads only quoted),
    /// leaving strings and comments as they are. Outside strings and comments valid JSON has no other letters but
    /// true / false / null, so a literal there can only be a number.
    /// </summary>
    internal static string QuoteNamedLiterals(string json)
    {
        System.Text.StringBuilder? sb = null;
        int copied = 0, i = 0;
        while (i < json.Length)
        {
            char c = json[i];
            if (c == '"') i = SkipString(json, i);
            else if (c == '/' && i + 1 < json.Length && json[i + 1] is '/' or '*') i = SkipComment(json, i);
            else if (c is '-' or 'I' or 'N' && NamedLiterals.FirstOrDefault(l => string.CompareOrdinal(json, i, l, 0, l.Length) == 0) is { } literal)
            {
                sb ??= new System.Text.StringBuilder(json.Length + 16);
                sb.Append(json, copied, i - copied).Append('"').Append(literal).Append('"');
                i += literal.Length;
                copied = i;
            }
            else i++;
        }
        return sb == null ? json : sb.Append(json, copied, json.Length - copied).ToString();
    }

    /// <summary>The index after the string starting at <paramref name="start"/> (its opening quote), escapes skipped.</summary>
    static int SkipString(string json, int start)
    {
        int i = start + 1;
        while (i < json.Length && json[i] != '"') i += json[i] == '\\' ? 2 : 1;
        return i + 1;
    }

    /// <summary>The index after the // or /* */ comment starting at <paramref name="start"/>.</summary>
    static int SkipComment(string json, int start)
    {
        if (json[start + 1] == '/')
        {
            int end = json.IndexOf('\n', start);
            return end < 0 ? json.Length : end + 1;
        }
        int close = json.IndexOf("*/", start + 2, StringComparison.Ordinal);
        return close < 0 ? json.Length : close + 2;
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
