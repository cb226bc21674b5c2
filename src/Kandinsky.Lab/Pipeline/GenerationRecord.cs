using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// The reproducibility record of a text-to-image run (what <c>generate</c> writes beside its images and
/// <c>generate --replay</c> reads): the prompts, both stages' <see cref="PriorOptions"/> and <see cref="DecodeOptions"/>
/// with the seed, the model and its fingerprint. <see cref="KandinskyLab.Replay"/> generates the same images again.
/// </summary>
public sealed record GenerationRecord
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // a record is read by people: "dpmsolver++" and non-Latin prompts as they are, not as \u escapes
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    [JsonPropertyName("negative_prompt")] public string? NegativePrompt { get; init; }
    [JsonPropertyName("prior")] public required PriorOptions Prior { get; init; }
    [JsonPropertyName("decoder")] public required DecodeOptions Decode { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("model_fingerprint_sha256")] public required string ModelFingerprint { get; init; }
    [JsonPropertyName("images")] public IReadOnlyList<string> Images { get; init; } = [];
    [JsonPropertyName("lab_version")] public string? LabVersion { get; init; }
    [JsonPropertyName("created_utc")] public string? CreatedUtc { get; init; }

    /// <summary>The record of <paramref name="result"/>: the settings both stages ran with (the seed included).</summary>
    public static GenerationRecord Of(GenerationResult result, string modelDir, IReadOnlyList<string> images) => new()
    {
        Prompt = result.Text.Prompts.Count == 1 ? result.Text.Prompts[0] : throw new ArgumentException("GenerationRecord: one prompt per record."),
        NegativePrompt = result.Text.NegativePrompts?[0],
        Prior = result.Prior.Options,
        Decode = result.Decoder.Options,
        Model = modelDir,
        ModelFingerprint = Pipeline.ModelFingerprint.Compute(modelDir),
        Images = images,
        LabVersion = typeof(KandinskyLab).Assembly.GetName().Version?.ToString(),
        CreatedUtc = DateTime.UtcNow.ToString("O"),
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads a record; a missing field or a malformed value fails naming the file.</summary>
    public static GenerationRecord Load(string path)
    {
        try
        {
            var record = JsonSerializer.Deserialize<GenerationRecord>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: the record is empty (null).");
            record.Prior.Validate();
            record.Decode.Validate();
            return record;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a generation record: {e.Message}", e); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }
}
