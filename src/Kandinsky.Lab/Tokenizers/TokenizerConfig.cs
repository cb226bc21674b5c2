using System.Text.Json;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>
/// What a Hugging Face tokenizer folder says about special tokens: <c>tokenizer_config.json</c> and
/// <c>special_tokens_map.json</c> (both optional). Token values may be strings or <c>{"content": …}</c> objects.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? UnkToken { get; init; }
    public string? PadToken { get; init; }
    public string? MaskToken { get; init; }
    /// <summary>tokenizer_config.json's model_max_length (CLIP's pipeline pads to it; XLM-R's pipeline passes 77).</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>The <c>added_tokens_decoder</c> entries: id → token (with its strip flags).</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];

    /// <summary>
    /// Reads the two optional files of <paramref name="directory"/>. As in Hugging Face's <c>from_pretrained</c>,
    /// special_tokens_map.json overrides the token names of tokenizer_config.json.
    /// </summary>
    public static TokenizerConfig Load(string directory)
    {
        var config = new TokenizerConfig();
        var tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig)) config = Merge(config, tokenizerConfig);
        var map = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(map)) config = Merge(config, map);
        return config;
    }

    static TokenizerConfig Merge(TokenizerConfig config, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(path, $"not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerFileException(path, "expected a JSON object at the top level");
            string? Token(string name) => root.TryGetProperty(name, out var v) ? TokenContent(path, name, v) : null;
            var added = new List<AddedToken>(config.AddedTokens);
            if (root.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in decoder.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, out var id))
                        throw new TokenizerFileException(path, $"added_tokens_decoder key \"{entry.Name}\" is not an integer id");
                    var content = TokenContent(path, $"added_tokens_decoder.{entry.Name}", entry.Value)
                                  ?? throw new TokenizerFileException(path, $"added_tokens_decoder.{entry.Name} has no content");
                    added.RemoveAll(t => t.Content == content);
                    added.Add(new AddedToken(content, id, Flag(entry.Value, "lstrip"), Flag(entry.Value, "rstrip")));
                }
            }
            int? maxLength = config.ModelMaxLength;
            if (root.TryGetProperty("model_max_length", out var ml) && ml.ValueKind == JsonValueKind.Number &&
                ml.TryGetDouble(out var mlValue) && mlValue is > 0 and < int.MaxValue)
                maxLength = (int)mlValue;
            return config with
            {
                BosToken = Token("bos_token") ?? config.BosToken,
                EosToken = Token("eos_token") ?? config.EosToken,
                UnkToken = Token("unk_token") ?? config.UnkToken,
                PadToken = Token("pad_token") ?? config.PadToken,
                MaskToken = Token("mask_token") ?? config.MaskToken,
                ModelMaxLength = maxLength,
                AddedTokens = added,
            };
        }
    }

    static bool Flag(JsonElement token, string name) =>
        token.ValueKind == JsonValueKind.Object && token.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    static string? TokenContent(string path, string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => throw new TokenizerFileException(path, $"\"{name}\" must be a string or an object with \"content\", got {value.ValueKind}"),
    };
}
