using System.Text.Json.Serialization;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// The solver's own settings when a decode runs DPM-Solver on the decoder's noise schedule, as
/// <c>DPMSolverMultistepScheduler.from_config(decoder_scheduler_config, **these)</c> would; the defaults are
/// diffusers' (DPM-Solver++ 2M, linspace spacing, final sigma 0).
/// </summary>
public sealed record DpmSolverOptions
{
    [JsonPropertyName("algorithm_type")] public string AlgorithmType { get; init; } = "dpmsolver++";
    [JsonPropertyName("solver_order")] public int SolverOrder { get; init; } = 2;
    [JsonPropertyName("solver_type")] public string SolverType { get; init; } = "midpoint";
    [JsonPropertyName("lower_order_final")] public bool LowerOrderFinal { get; init; } = true;
    [JsonPropertyName("use_karras_sigmas")] public bool UseKarrasSigmas { get; init; }
    [JsonPropertyName("timestep_spacing")] public string TimestepSpacing { get; init; } = "linspace";
    [JsonPropertyName("final_sigmas_type")] public string FinalSigmasType { get; init; } = "zero";

    /// <summary>
    /// The DPMSolverMultistepScheduler config over <paramref name="schedule"/>'s noise schedule (betas, prediction type,
    /// thresholding, steps_offset). variance_type is dropped: the decoder then hands the solver the noise channels only.
    /// </summary>
    public SchedulerConfig Over(SchedulerConfig schedule) => schedule with
    {
        ClassName = "DPMSolverMultistepScheduler",
        AlgorithmType = AlgorithmType, SolverOrder = SolverOrder, SolverType = SolverType, LowerOrderFinal = LowerOrderFinal,
        UseKarrasSigmas = UseKarrasSigmas, TimestepSpacing = TimestepSpacing, FinalSigmasType = FinalSigmasType,
        VarianceType = null,
    };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the setting when the solver cannot run with it; returns this.</summary>
    public DpmSolverOptions Validate()
    {
        try { _ = new DpmSolverMultistepScheduler(Over(new SchedulerConfig())); }
        catch (InvalidDataException e) { throw new ArgumentException($"Decoder: dpm_solver: {e.Message}", e); }
        return this;
    }
}
