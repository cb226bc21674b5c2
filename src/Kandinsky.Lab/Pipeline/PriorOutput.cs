using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// The outcome of <see cref="PriorPipeline.Run"/>: the steps, image_embeds and negative_image_embeds [n, D], the text
/// embeddings of the rows and which prompt each row came from.
/// </summary>
public sealed record PriorOutput(IReadOnlyList<int> Timesteps, IReadOnlyList<PriorStep> Steps, Tensor ImageEmbeds, Tensor NegativeImageEmbeds,
    Tensor PromptTextEmbeds, int[] RowPrompts);

/// <summary>The raw outcome of <see cref="PriorPipeline.Denoise"/>: timesteps, per-step records, and post-processed embeddings [R, D].</summary>
public sealed record PriorRun(IReadOnlyList<int> Timesteps, IReadOnlyList<PriorStep> Steps, Tensor Embeddings);
