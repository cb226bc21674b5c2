using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// One decoder step: latents in [R, C, h, w], the guided noise prediction, the scheduler's predicted clean latents
/// (x0, what previews show) and the latents after the step.
/// </summary>
public sealed record DecoderStep(int Index, int Timestep, Tensor Latents, Tensor GuidedNoise, Tensor PredOriginal, Tensor PrevLatents) : IStageStep, IDisposable
{
    public void Dispose()
    {
        Latents.Dispose();
        GuidedNoise.Dispose();
        PredOriginal.Dispose();
        PrevLatents.Dispose();
    }
}
