using System.Text.Json;

namespace Kandinsky.Lab.Models.Common;

/// <summary>Reads a config.json into its config record (keys mapped by the record's JsonPropertyName attributes).</summary>
public static class ConfigFile
{
    static readonly JsonSerializerOptions Options = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static T Read<T>(string path) where T : class
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file not found: {path}", path);
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                ?? throw new InvalidDataException($"{path}: the config is empty (null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: cannot read as {typeof(T).Name}: {e.Message}", e);
        }
    }
}
