using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>A decoder run: the steps, the raw MoVQ output [R, 3, H, W], which prompt each row came from, and the scheduler's name.</summary>
public sealed record DecoderOutput(IReadOnlyList<int> Timesteps, IReadOnlyList<DecoderStep> Steps, Tensor RawImages, int[] RowPrompts, string Scheduler);

/// <summary>The raw outcome of the decoder loop: timesteps, per-step records and the final latents.</summary>
public sealed record DecoderRun(IReadOnlyList<int> Timesteps, IReadOnlyList<DecoderStep> Steps, Tensor Latents);
