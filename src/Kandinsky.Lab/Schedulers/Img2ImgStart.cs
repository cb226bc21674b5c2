using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Schedulers;

/// <summary>
/// The start of the Kandinsky 2.1 img2img pipeline: which timesteps remain for a given strength, the timestep the
/// encoded image is noised to, and the pipeline's own add_noise (a fixed linspace(0.0001, 0.02, 1000) schedule,
/// not the scheduler's).
/// </summary>
public static class Img2ImgStart
{
    static readonly Lazy<NoiseSchedule> PipelineSchedule = new(() => NoiseSchedule.Linear(0.0001f, 0.02f, 1000));

    /// <summary>get_timesteps: scheduler.timesteps[t_start:], t_start = max(N - min(int(N · strength), N), 0).</summary>
    public static int[] RemainingTimesteps(IScheduler scheduler, int numInferenceSteps, double strength)
    {
        if (strength is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(strength), $"strength is {strength}, expected a value in [0, 1].");
        int initTimestep = Math.Min((int)(numInferenceSteps * strength), numInferenceSteps);
        int tStart = Math.Max(numInferenceSteps - initTimestep, 0);
        return scheduler.Timesteps.Skip(tStart).ToArray();
    }

    /// <summary>latent_timestep = int(num_train_timesteps · strength) - 2.</summary>
    public static int LatentTimestep(int numTrainTimesteps, double strength) => (int)(numTrainTimesteps * strength) - 2;

    /// <summary>The pipeline's add_noise: sqrt(abar[t]) · latents + sqrt(1 - abar[t]) · noise with abar from linspace(0.0001, 0.02, 1000).</summary>
    public static Tensor AddNoise(Tensor latents, Tensor noise, ReadOnlySpan<int> timesteps) =>
        SchedulerMath.AddNoise(PipelineSchedule.Value.AlphasCumprod, latents, noise, timesteps);
}
