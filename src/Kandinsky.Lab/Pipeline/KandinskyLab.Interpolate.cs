using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>One item of <see cref="KandinskyLab.Interpolate"/>: a text (embedded by the prior) or an image (by the image encoder).</summary>
public sealed record InterpolationItem
{
    InterpolationItem(string? text, Image? image) => (Text, Image) = (text, image);
    public string? Text { get; }
    public Image? Image { get; }
    public static InterpolationItem Of(string text) => new(text, null);
    public static InterpolationItem Of(Image image) => new(null, image);
    public override string ToString() => Text ?? $"image {Image!.Width}×{Image.Height}";
}

public sealed partial class KandinskyLab
{
    /// <summary>
    /// diffusers' <c>KandinskyPriorPipeline.interpolate</c>: each text's image embedding from the prior (every text run
    /// with the same options and seed, so the mix is paired row by row), each image's from the image encoder, summed
    /// with the weights (<see cref="ImageEmbedding.Interpolate"/>: not normalised, zero weights left out); the negative
    /// is the prior's negative for <paramref name="negativePrompt"/> (the zero-image embedding for "", as there).
    /// </summary>
    public (ImageEmbedding Embeds, ImageEmbedding Negative) Interpolate(IReadOnlyList<InterpolationItem> items, IReadOnlyList<float> weights,
        PriorOptions? options = null, string negativePrompt = "")
    {
        if (items.Count != weights.Count) throw new ArgumentException($"Interpolate: {items.Count} items and {weights.Count} weights; give one weight per item.", nameof(weights));
        options = WithSeed(options ?? new PriorOptions());
        var kept = Enumerable.Range(0, items.Count).Where(i => weights[i] != 0).ToList();
        if (kept.Count == 0) throw new ArgumentException("Interpolate: every weight is 0.", nameof(weights));
        var parts = new List<ImageEmbedding>();
        try
        {
            foreach (var i in kept)
                parts.Add(items[i].Text is { } text ? PriorEmbeds(text, options) : EmbedImage(items[i].Image!, $"image {i}"));
            var negative = negativePrompt == "" ? ZeroImageEmbedding(options.ImagesPerPrompt) : PriorEmbeds(negativePrompt, options);
            return (ImageEmbedding.Interpolate(parts, kept.Select(i => weights[i]).ToList()), negative);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>The prior's image embeddings for one prompt (the rest of the trajectory released).</summary>
    ImageEmbedding PriorEmbeds(string prompt, PriorOptions options)
    {
        using var text = EncodeText(prompt);
        using var prior = Prior(text, options);
        return prior.ImageEmbeds.Rows(Enumerable.Range(0, prior.ImageEmbeds.Count).ToArray());
    }
}
