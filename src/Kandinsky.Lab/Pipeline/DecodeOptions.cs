using System.Text.Json.Serialization;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>Which negative image embedding the decoder's guidance uses.</summary>
public enum NegativeEmbeddingChoice
{
    /// <summary>The one given: what the prior returned (its run on the negative prompt, or the zero-image embedding without one).</summary>
    FromPrior,
    /// <summary>The image encoder applied to an all-zeros image (what the models were trained with as "no image").</summary>
    ZeroImage,
}

/// <summary>
/// Which scheduler the decoder runs: the folder's default (scheduler/), the DDPM one shipped beside it
/// (ddpm_scheduler/), or DPM-Solver on the folder's noise schedule with <see cref="DecodeOptions.DpmSolver"/>.
/// </summary>
public enum DecoderSchedulerKind { Default, Ddim, Ddpm, DpmSolverMultistep }

/// <summary>
/// How the decoder runs (KandinskyPipeline's arguments, and img2img's and inpainting's): the one options record
/// shared by <see cref="KandinskyLab.Decode(PriorTrajectory, TextEncoding, DecodeOptions?)"/>, Img2Img, Inpaint,
/// <see cref="KandinskyLab.Generate"/>, the CLI and the reproducibility record. The settings serialise; the noise
/// source, given latents, callbacks and trace sink beside them do not.
/// </summary>
public sealed record DecodeOptions
{
    [JsonPropertyName("steps")] public int Steps { get; init; } = 100;
    [JsonPropertyName("guidance_scale")] public float GuidanceScale { get; init; } = 4f;
    /// <summary>Seed of the torch-compatible generator; null: a random seed, recorded in the result.</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }
    /// <summary>Image size (null: the model's own, 512 for Kandinsky 2.1); rounded up as get_new_h_w does.</summary>
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
    /// <summary>The decoder's scheduler; Default is the folder's (img2img and inpainting: DDIM, as their pipelines).</summary>
    [JsonPropertyName("scheduler")] public DecoderSchedulerKind Scheduler { get; init; } = DecoderSchedulerKind.Default;
    /// <summary>The solver's settings with <see cref="DecoderSchedulerKind.DpmSolverMultistep"/> (null: diffusers' defaults; a result records them).</summary>
    [JsonPropertyName("dpm_solver"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public DpmSolverOptions? DpmSolver { get; init; }
    [JsonPropertyName("negative_embedding")] public NegativeEmbeddingChoice NegativeEmbedding { get; init; } = NegativeEmbeddingChoice.FromPrior;
    /// <summary>Step previews through MoVQ (slow) instead of the cheap latent picture.</summary>
    [JsonPropertyName("decode_previews")] public bool DecodePreviews { get; init; }
    /// <summary>Per-token attention maps of the run (null: no capture, no cost); the result's <see cref="DecoderTrajectory.Attention"/>.</summary>
    [JsonPropertyName("attention_capture"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AttentionCaptureOptions? AttentionCapture { get; init; }
    /// <summary>Re-weights the attention to a word or to the image tokens (null: none).</summary>
    [JsonPropertyName("attention_reweight"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AttentionReweightOptions? AttentionReweight { get; init; }

    [JsonIgnore] public INoiseSource? Noise { get; init; }
    /// <summary>Given initial latents [rows, latent channels, h, w] instead of drawn ones.</summary>
    [JsonIgnore] public Tensor? Latents { get; init; }
    [JsonIgnore] public StageCallbacks<DecoderStep>? Callbacks { get; init; }
    /// <summary>Sees every intermediate tensor under its trace name; must copy what it keeps.</summary>
    [JsonIgnore] public Action<string, Tensor>? Trace { get; init; }

    /// <summary>Throws naming the option and its value when it is out of range; returns this.</summary>
    public DecodeOptions Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Decoder: steps is {Steps}, expected at least 1.");
        if (!float.IsFinite(GuidanceScale)) throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, $"Decoder: guidance_scale is {GuidanceScale}, expected a finite number.");
        if (Width is <= 0) throw new ArgumentOutOfRangeException(nameof(Width), Width, $"Decoder: width is {Width}, expected a positive size.");
        if (Height is <= 0) throw new ArgumentOutOfRangeException(nameof(Height), Height, $"Decoder: height is {Height}, expected a positive size.");
        if (!Enum.IsDefined(Scheduler)) throw new ArgumentOutOfRangeException(nameof(Scheduler), Scheduler, $"Decoder: unknown scheduler {Scheduler}.");
        if (DpmSolver != null && Scheduler != DecoderSchedulerKind.DpmSolverMultistep)
            throw new ArgumentException($"Decoder: dpm_solver settings are given but the scheduler is {Scheduler}; choose {DecoderSchedulerKind.DpmSolverMultistep} or leave them out.");
        DpmSolver?.Validate();
        AttentionReweight?.Validate();
        return this;
    }

    /// <summary>The settings alone, the solver's made explicit (what a result and a record keep).</summary>
    public DecodeOptions Settings() => this with
    {
        Noise = null, Latents = null, Callbacks = null, Trace = null,
        DpmSolver = Scheduler == DecoderSchedulerKind.DpmSolverMultistep ? DpmSolver ?? new() : DpmSolver,
    };

    internal INoiseSource NoiseSource() => Noise ?? (Seed is ulong seed ? new GeneratorNoise(seed)
        : throw new ArgumentException("Decoder: give a Seed or a Noise source."));
}
