using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Schedulers;

public static class SchedulerExtensions
{
    /// <summary>
    /// <see cref="IScheduler.Step"/> drawing the step noise from <paramref name="generator"/> as the reference does
    /// inside step(): one <c>randn(sample.shape)</c> exactly when the step is stochastic (t &gt; 0 for UnCLIP / DDPM).
    /// </summary>
    public static SchedulerStepOutput Step(this IScheduler scheduler, Tensor modelOutput, int timestep, Tensor sample, TorchGenerator generator, int? prevTimestep = null)
    {
        using var noise = scheduler.NeedsNoise(timestep) ? generator.Randn(sample.ShapeArray()) : null;
        return scheduler.Step(modelOutput, timestep, sample, noise, prevTimestep);
    }
}
