using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Models.Prior;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// Stage 2: the prior's walk from noise to a CLIP image embedding. Keeps every step (noisy embedding, both
/// guidance branches' clean-embedding predictions, the guided one, the result), the timesteps, the final
/// <see cref="ImageEmbeds"/> (one row per image) and the <see cref="NegativeImageEmbeds"/> the decoder's guidance uses.
/// Notebooks show it through the formatting layer's view of this type.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class PriorTrajectory : IDisposable
{
    internal PriorTrajectory(PriorOptions options, bool latentsGiven, IReadOnlyList<string> rowLabels, IReadOnlyList<int> timesteps, IReadOnlyList<PriorStep> steps,
        ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, ImageEmbedding textEmbeds, PriorLatentSpace latentSpace)
    {
        LatentSpace = latentSpace;
        Options = options;
        LatentsGiven = latentsGiven;
        RowLabels = rowLabels;
        Timesteps = timesteps;
        Steps = steps;
        ImageEmbeds = imageEmbeds;
        NegativeImageEmbeds = negativeImageEmbeds;
        TextEmbeds = textEmbeds;
    }

    /// <summary>The settings the run used (its seed included): what reproduces it.</summary>
    public PriorOptions Options { get; }
    /// <summary>True when the initial latents were given rather than drawn.</summary>
    public bool LatentsGiven { get; }
    /// <summary>What each latent row is (prompt, then negative prompt rows when a negative prompt was given).</summary>
    public IReadOnlyList<string> RowLabels { get; }
    public IReadOnlyList<int> Timesteps { get; }
    public IReadOnlyList<PriorStep> Steps { get; }
    /// <summary>image_embeds: one row per generated image.</summary>
    public ImageEmbedding ImageEmbeds { get; }
    /// <summary>negative_image_embeds: the prior run on the negative prompt, or the zero-image embedding without one.</summary>
    public ImageEmbedding NegativeImageEmbeds { get; }
    /// <summary>The CLIP text embeddings the prior was conditioned on (one row per image), for comparisons.</summary>
    public ImageEmbedding TextEmbeds { get; }
    /// <summary>The prior's normalisation (clip_mean, clip_std): step latents and predictions live in its normalised space.</summary>
    public PriorLatentSpace LatentSpace { get; }

    public override string ToString() =>
        $"PriorTrajectory: {Steps.Count} steps (t = {string.Join(", ", Timesteps.Take(4))}{(Timesteps.Count > 4 ? ", …" : "")}), guidance {Options.GuidanceScale}, {SeedText}\n" +
        $"  image_embeds {ImageEmbeds.Tensor.ShapeString}, negative_image_embeds {NegativeImageEmbeds.Tensor.ShapeString}";

    /// <summary>"seed 42", "given latents, seed 42", or "recorded noise".</summary>
    public string SeedText => (LatentsGiven ? "given latents, " : "") + (Options.Seed is ulong s ? $"seed {s}" : "recorded noise");

    public void Dispose()
    {
        foreach (var s in Steps) s.Dispose();
        ImageEmbeds.Dispose();
        NegativeImageEmbeds.Dispose();
        TextEmbeds.Dispose();
    }
}
