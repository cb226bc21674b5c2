using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Schedulers;

/// <summary>The result of one denoising step; both tensors belong to the caller.</summary>
public sealed record SchedulerStepOutput(Tensor PrevSample, Tensor PredOriginalSample) : IDisposable
{
    public void Dispose()
    {
        PrevSample.Dispose();
        PredOriginalSample.Dispose();
    }
}

/// <summary>A diffusion scheduler (diffusers' SchedulerMixin subset the Kandinsky 2.1 pipelines use).</summary>
public interface IScheduler
{
    SchedulerConfig Config { get; }
    /// <summary>The float32 noise tables (betas, alphas = 1 - betas, alphas_cumprod).</summary>
    NoiseSchedule Schedule { get; }
    /// <summary>Scale of the initial noise (1 for all of ours).</summary>
    float InitNoiseSigma { get; }
    /// <summary>The inference timesteps after <see cref="SetTimesteps"/>, highest first.</summary>
    IReadOnlyList<int> Timesteps { get; }

    void SetTimesteps(int numInferenceSteps);

    /// <summary>Whether <see cref="Step"/> at this timestep consumes a standard-normal draw of the sample's shape.</summary>
    bool NeedsNoise(int timestep);

    /// <summary>
    /// One step from <paramref name="sample"/> at <paramref name="timestep"/> to the previous timestep.
    /// <paramref name="noise"/> is the standard-normal draw (required when <see cref="NeedsNoise"/>);
    /// <paramref name="prevTimestep"/> overrides the scheduler's own previous timestep (UnCLIP only).
    /// </summary>
    SchedulerStepOutput Step(Tensor modelOutput, int timestep, Tensor sample, Tensor? noise = null, int? prevTimestep = null);

    /// <summary>Forward process: sqrt(abar[t]) · x0 + sqrt(1 - abar[t]) · noise, one timestep per batch item.</summary>
    Tensor AddNoise(Tensor originalSamples, Tensor noise, ReadOnlySpan<int> timesteps);
}
