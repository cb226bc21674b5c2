using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// scheduler_config.json of UnCLIPScheduler, DDIMScheduler, DDPMScheduler or DPMSolverMultistepScheduler, key for
/// key; missing keys take the diffusers class defaults of DDPM/DDIM (the UnCLIP-only keys have UnCLIP's defaults, the
/// DPM-Solver-only keys DPMSolverMultistepScheduler's, and are written only when set).
/// </summary>
public sealed record SchedulerConfig : IConfig<SchedulerConfig>
{
    [JsonPropertyName("_class_name")] public string ClassName { get; init; } = "";
    [JsonPropertyName("num_train_timesteps")] public int NumTrainTimesteps { get; init; } = 1000;
    [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
    [JsonPropertyName("beta_end")] public double BetaEnd { get; init; } = 0.02;
    [JsonPropertyName("beta_schedule")] public string BetaSchedule { get; init; } = "linear";
    [JsonPropertyName("trained_betas")] public double[]? TrainedBetas { get; init; }
    [JsonPropertyName("variance_type")] public string? VarianceType { get; init; } = "fixed_small";
    [JsonPropertyName("clip_sample")] public bool ClipSample { get; init; } = true;
    [JsonPropertyName("clip_sample_range")] public double ClipSampleRange { get; init; } = 1.0;
    [JsonPropertyName("prediction_type")] public string PredictionType { get; init; } = "epsilon";
    [JsonPropertyName("thresholding")] public bool Thresholding { get; init; }
    [JsonPropertyName("dynamic_thresholding_ratio")] public double DynamicThresholdingRatio { get; init; } = 0.995;
    [JsonPropertyName("sample_max_value")] public double SampleMaxValue { get; init; } = 1.0;
    [JsonPropertyName("set_alpha_to_one")] public bool SetAlphaToOne { get; init; } = true;
    [JsonPropertyName("steps_offset")] public int StepsOffset { get; init; }
    /// <summary>null: the class default ("leading" for DDIM / DDPM, "linspace" for DPM-Solver).</summary>
    [JsonPropertyName("timestep_spacing")] public string? TimestepSpacing { get; init; }
    [JsonPropertyName("rescale_betas_zero_snr")] public bool RescaleBetasZeroSnr { get; init; }

    // DPMSolverMultistepScheduler only (null in the other schedulers' configs, so they are not written there).
    [JsonPropertyName("solver_order"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? SolverOrder { get; init; }
    [JsonPropertyName("algorithm_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? AlgorithmType { get; init; }
    [JsonPropertyName("solver_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? SolverType { get; init; }
    [JsonPropertyName("lower_order_final"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? LowerOrderFinal { get; init; }
    [JsonPropertyName("euler_at_final"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? EulerAtFinal { get; init; }
    [JsonPropertyName("use_karras_sigmas"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? UseKarrasSigmas { get; init; }
    [JsonPropertyName("use_lu_lambdas"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? UseLuLambdas { get; init; }
    [JsonPropertyName("final_sigmas_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FinalSigmasType { get; init; }
    /// <summary>diffusers writes its default, −∞, as the bare literal <c>-Infinity</c>.</summary>
    [JsonPropertyName("lambda_min_clipped"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? LambdaMinClipped { get; init; }

    /// <summary>Reads and validates <paramref name="path"/> (a scheduler_config.json).</summary>
    public static SchedulerConfig Load(string path) => ConfigFile.Load<SchedulerConfig>(path);

    /// <summary>Throws when a value is outside what the schedulers implement; messages name the key, the value and what is expected.</summary>
    public SchedulerConfig Validate(string source = "scheduler config")
    {
        if (NumTrainTimesteps < 2)
            throw new InvalidDataException($"{source}: num_train_timesteps is {NumTrainTimesteps}, expected at least 2.");
        string[] schedules = ["linear", "squaredcos_cap_v2", "scaled_linear"];
        if (TrainedBetas == null && !schedules.Contains(BetaSchedule))
            throw new InvalidDataException($"{source}: beta_schedule \"{BetaSchedule}\" is not supported, expected one of {string.Join(", ", schedules)}.");
        if (TrainedBetas != null && TrainedBetas.Length != NumTrainTimesteps)
            throw new InvalidDataException($"{source}: trained_betas has {TrainedBetas.Length} values, expected num_train_timesteps = {NumTrainTimesteps}.");
        if (PredictionType is not ("epsilon" or "sample"))
            throw new InvalidDataException($"{source}: prediction_type \"{PredictionType}\" is not supported, expected \"epsilon\" or \"sample\".");
        string[] spacings = ["leading", "linspace", "trailing"];
        if (TimestepSpacing != null && !spacings.Contains(TimestepSpacing))
            throw new InvalidDataException($"{source}: timestep_spacing \"{TimestepSpacing}\" is not supported, expected one of {string.Join(", ", spacings)}.");
        if (RescaleBetasZeroSnr)
            throw new InvalidDataException($"{source}: rescale_betas_zero_snr true is not supported, expected false.");
        if (DynamicThresholdingRatio is <= 0 or > 1)
            throw new InvalidDataException($"{source}: dynamic_thresholding_ratio is {DynamicThresholdingRatio}, expected a value in (0, 1].");
        return this;
    }
}
