using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>A decoder run: the steps, the raw MoVQ output [R, 3, H, W], which prompt each row came from, the scheduler's name and the attention capture.</summary>
public sealed record DecoderOutput(IReadOnlyList<int> Timesteps, IReadOnlyList<DecoderStep> Steps, Tensor RawImages, int[] RowPrompts, string Scheduler,
    AttentionRecording? Attention = null);

/// <summary>The raw outcome of the decoder loop: timesteps, per-step records and the final latents.</summary>
public sealed record DecoderRun(IReadOnlyList<int> Timesteps, IReadOnlyList<DecoderStep> Steps, Tensor Latents, AttentionRecording? Attention);
