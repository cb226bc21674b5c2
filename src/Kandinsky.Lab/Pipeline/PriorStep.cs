using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// One prior step: the noisy embedding going in (<see cref="Latents"/>, [R, D]), the prior's clean-embedding
/// predictions of both guidance branches (the unconditional one is null without guidance), the guided
/// prediction handed to the scheduler, the scheduler's clipped x0, and the embedding after the step.
/// </summary>
public sealed record PriorStep(int Index, int Timestep, Tensor Latents, Tensor? PredictionUncond, Tensor PredictionCond,
    Tensor Guided, Tensor PredOriginal, Tensor PrevLatents) : IStageStep, IDisposable
{
    public void Dispose()
    {
        Latents.Dispose();
        PredictionUncond?.Dispose();
        PredictionCond.Dispose();
        Guided.Dispose();
        PredOriginal.Dispose();
        PrevLatents.Dispose();
    }
}
