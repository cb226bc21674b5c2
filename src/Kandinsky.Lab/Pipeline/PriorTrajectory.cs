using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Pipeline;

/// <summary>The settings a prior run used (enough to reproduce it).</summary>
public sealed record PriorSettings(int Steps, float GuidanceScale, ulong? Seed, int ImagesPerPrompt, bool LatentsGiven);

/// <summary>
/// Stage 2: the prior's walk from noise to a CLIP image embedding. Keeps every step (noisy embedding, both
/// guidance branches' clean-embedding predictions, the guided one, the result), the timesteps, the final
/// <see cref="ImageEmbeds"/> (one row per image) and the <see cref="NegativeImageEmbeds"/> the decoder's guidance uses.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class PriorTrajectory : IRichDisplay, IDisposable
{
    internal PriorTrajectory(PriorSettings settings, IReadOnlyList<string> rowLabels, IReadOnlyList<int> timesteps, IReadOnlyList<PriorStep> steps,
        ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, ImageEmbedding textEmbeds, Visuals.PriorLatentSpace latentSpace)
    {
        LatentSpace = latentSpace;
        Settings = settings;
        RowLabels = rowLabels;
        Timesteps = timesteps;
        Steps = steps;
        ImageEmbeds = imageEmbeds;
        NegativeImageEmbeds = negativeImageEmbeds;
        TextEmbeds = textEmbeds;
    }

    public PriorSettings Settings { get; }
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
    public Visuals.PriorLatentSpace LatentSpace { get; }

    public override string ToString() =>
        $"PriorTrajectory: {Steps.Count} steps (t = {string.Join(", ", Timesteps.Take(4))}{(Timesteps.Count > 4 ? ", …" : "")}), guidance {Settings.GuidanceScale}, seed {Settings.Seed?.ToString() ?? "(given latents)"}\n" +
        $"  image_embeds {ImageEmbeds.Tensor.ShapeString}, negative_image_embeds {NegativeImageEmbeds.Tensor.ShapeString}";

    public string ToHtml() => Visuals.PriorTrajectoryView.Render(this, probes: null, LatentSpace);

    public void Dispose()
    {
        foreach (var s in Steps) s.Dispose();
        ImageEmbeds.Dispose();
        NegativeImageEmbeds.Dispose();
        TextEmbeds.Dispose();
    }
}
