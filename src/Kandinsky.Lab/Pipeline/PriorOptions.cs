using System.Text.Json.Serialization;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// How the prior runs (KandinskyPriorPipeline's arguments): the one options record shared by
/// <see cref="KandinskyLab.Prior"/>, <see cref="KandinskyLab.Generate"/>, the CLI and the reproducibility record.
/// The settings serialise; the noise source, given latents, callbacks and trace sink beside them do not.
/// </summary>
public sealed record PriorOptions
{
    /// <summary>UnCLIP steps (at least 2).</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; } = 25;
    /// <summary>Classifier-free guidance against "" when above 1.</summary>
    [JsonPropertyName("guidance_scale")] public float GuidanceScale { get; init; } = 4f;
    /// <summary>Seed of the torch-compatible generator (<c>torch.Generator().manual_seed(s)</c>); null: a random seed, recorded in the result.</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }
    [JsonPropertyName("images_per_prompt")] public int ImagesPerPrompt { get; init; } = 1;

    /// <summary>Where the draws come from instead of <see cref="Seed"/> (recorded noise for parity, a generator shared with the decoder).</summary>
    [JsonIgnore] public INoiseSource? Noise { get; init; }
    /// <summary>Given initial latents [rows, D] instead of drawn ones.</summary>
    [JsonIgnore] public Tensor? Latents { get; init; }
    [JsonIgnore] public StageCallbacks<PriorStep>? Callbacks { get; init; }
    /// <summary>Sees every intermediate tensor under its trace name; must copy what it keeps.</summary>
    [JsonIgnore] public Action<string, Tensor>? Trace { get; init; }

    /// <summary>Throws naming the option and its value when it is out of range; returns this.</summary>
    public PriorOptions Validate()
    {
        if (Steps < 2) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Prior: steps is {Steps}, expected at least 2 (UnCLIP).");
        if (!float.IsFinite(GuidanceScale)) throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, $"Prior: guidance_scale is {GuidanceScale}, expected a finite number.");
        if (ImagesPerPrompt < 1) throw new ArgumentOutOfRangeException(nameof(ImagesPerPrompt), ImagesPerPrompt, $"Prior: images_per_prompt is {ImagesPerPrompt}, expected at least 1.");
        return this;
    }

    /// <summary>The settings alone (what a result and a record keep).</summary>
    public PriorOptions Settings() => this with { Noise = null, Latents = null, Callbacks = null, Trace = null };

    internal INoiseSource NoiseSource() => Noise ?? (Seed is ulong seed ? new GeneratorNoise(seed)
        : throw new ArgumentException("Prior: give a Seed or a Noise source."));
}
