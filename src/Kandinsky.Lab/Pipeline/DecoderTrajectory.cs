using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>The settings a decoder run used.</summary>
public sealed record DecoderSettings(int Steps, float GuidanceScale, ulong? Seed, int Width, int Height, int LatentHeight, int LatentWidth,
    string Scheduler, bool LatentsGiven, string Mode);

/// <summary>
/// Stage 3: the decoder's walk from latent noise to pixels. Keeps every step (latents, guided noise
/// prediction, predicted clean latents x0, a cheap preview of x0), the raw MoVQ output [B, 3, H, W] and the
/// final 8-bit images.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class DecoderTrajectory : IRichDisplay, IDisposable
{
    internal DecoderTrajectory(DecoderSettings settings, IReadOnlyList<string> labels, IReadOnlyList<int> timesteps, IReadOnlyList<DecoderStep> steps,
        IReadOnlyList<IReadOnlyList<Image>> previews, Tensor rawImages, IReadOnlyList<Image> images)
    {
        Settings = settings;
        Labels = labels;
        Timesteps = timesteps;
        Steps = steps;
        Previews = previews;
        RawImages = rawImages;
        Images = images;
    }

    public DecoderSettings Settings { get; }
    /// <summary>What each image is (its prompt).</summary>
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<int> Timesteps { get; }
    public IReadOnlyList<DecoderStep> Steps { get; }
    /// <summary>Previews[step][image]: the predicted clean latents of each step made visible.</summary>
    public IReadOnlyList<IReadOnlyList<Image>> Previews { get; }
    /// <summary>movq.decode output [B, 3, H, W] (output_type "pt").</summary>
    public Tensor RawImages { get; }
    public IReadOnlyList<Image> Images { get; }

    public override string ToString() =>
        $"DecoderTrajectory: {Steps.Count} {Settings.Scheduler} steps, guidance {Settings.GuidanceScale}, seed {Settings.Seed?.ToString() ?? "(given latents)"}, " +
        $"{Images.Count} image(s) {Settings.Width}x{Settings.Height} (latents {Settings.LatentHeight}x{Settings.LatentWidth})";

    public string ToHtml() => Visuals.DecoderTrajectoryView.Render(this);

    public void Dispose()
    {
        foreach (var s in Steps) s.Dispose();
        RawImages.Dispose();
    }
}

/// <summary>All three stages of one text-to-image run.</summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class GenerationResult(TextEncoding text, PriorTrajectory prior, DecoderTrajectory decoder) : IRichDisplay, IDisposable
{
    public TextEncoding Text { get; } = text;
    public PriorTrajectory Prior { get; } = prior;
    public DecoderTrajectory Decoder { get; } = decoder;
    public IReadOnlyList<Image> Images => Decoder.Images;

    public override string ToString() => $"{Text}\n{Prior}\n{Decoder}";

    public string ToHtml() => Text.ToHtml() + Prior.ToHtml() + Decoder.ToHtml();

    public void Dispose()
    {
        Text.Dispose();
        Prior.Dispose();
        Decoder.Dispose();
    }
}
