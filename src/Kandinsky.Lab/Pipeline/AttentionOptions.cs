using System.Text.Json.Serialization;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// Attention capture of a decoder run (<see cref="DecodeOptions.AttentionCapture"/>; null: off, and the UNet runs
/// exactly as without it). Per step, the attention of every latent position to each of the 10 image tokens and the
/// 77 text tokens is averaged over the heads and the added-KV layers (each upsampled to the latent size) for the
/// conditional rows: (10 + 77 + 1) × h × w floats per step and image, the last plane the attention the positions
/// keep for the image itself. <see cref="KeepRaw"/> also keeps every layer and head at its own size.
/// </summary>
public sealed record AttentionCaptureOptions
{
    [JsonPropertyName("keep_raw")] public bool KeepRaw { get; init; }
}

/// <summary>A rectangle of the image in unit coordinates (0…1, x to the right, y down), ends exclusive.</summary>
public sealed record AttentionRegion(
    [property: JsonPropertyName("x0")] float X0, [property: JsonPropertyName("y0")] float Y0,
    [property: JsonPropertyName("x1")] float X1, [property: JsonPropertyName("y1")] float Y1)
{
    public bool Contains(float x, float y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;

    public AttentionRegion Validate()
    {
        if (!(X0 >= 0 && Y0 >= 0 && X1 <= 1 && Y1 <= 1 && X0 < X1 && Y0 < Y1))
            throw new ArgumentOutOfRangeException(nameof(AttentionRegion), this, $"Decoder: attention region ({X0}, {Y0})–({X1}, {Y1}) must satisfy 0 ≤ x0 < x1 ≤ 1 and 0 ≤ y0 < y1 ≤ 1.");
        return this;
    }
}

/// <summary>
/// Prompt-to-Prompt-style re-weighting (<see cref="DecodeOptions.AttentionReweight"/>): the conditional rows'
/// attention to a word of the prompt (every occurrence, all its pieces) or to the 10 image tokens is scaled by
/// <see cref="Scale"/> before normalisation — a bias of ln(scale) on those keys' scores, so each row of attention
/// still sums to one — at every latent position, or only inside (or outside) a region. Scale 1 changes nothing, bit
/// for bit.
/// </summary>
public sealed record AttentionReweightOptions
{
    /// <summary>A word of the prompt as written (case-insensitive); null with <see cref="ImageTokens"/>.</summary>
    [JsonPropertyName("word"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Word { get; init; }
    /// <summary>Re-weight the 10 image tokens instead of a word.</summary>
    [JsonPropertyName("image_tokens")] public bool ImageTokens { get; init; }
    [JsonPropertyName("scale")] public float Scale { get; init; } = 1f;
    /// <summary>Where the scale applies (null: everywhere).</summary>
    [JsonPropertyName("region"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AttentionRegion? Region { get; init; }
    /// <summary>With a region: true scales inside it, false outside it.</summary>
    [JsonPropertyName("inside")] public bool Inside { get; init; } = true;

    public AttentionReweightOptions Validate()
    {
        if (!float.IsFinite(Scale) || Scale < 0)
            throw new ArgumentOutOfRangeException(nameof(Scale), Scale, $"Decoder: attention_reweight scale is {Scale}, expected a finite number ≥ 0.");
        if (ImageTokens == (Word != null))
            throw new ArgumentException($"Decoder: attention_reweight needs exactly one target: a \"word\" or \"image_tokens\": true (got word {(Word == null ? "null" : $"\"{Word}\"")}, image_tokens {ImageTokens}).");
        if (Word != null && string.IsNullOrWhiteSpace(Word))
            throw new ArgumentException("Decoder: attention_reweight word is blank; name a word of the prompt.");
        Region?.Validate();
        return this;
    }

    public override string ToString() =>
        $"{(ImageTokens ? "image tokens" : $"\"{Word}\"")} ×{Scale:0.###}" + (Region is { } r ? $" {(Inside ? "inside" : "outside")} ({r.X0:0.##},{r.Y0:0.##})–({r.X1:0.##},{r.Y1:0.##})" : "");
}
