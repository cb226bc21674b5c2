using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>What a decoder run was besides its options: the mode, the scheduler that ran, the latent size and whether the latents were given.</summary>
public sealed record DecoderRunInfo(string Mode, string Scheduler, int LatentHeight, int LatentWidth, bool LatentsGiven);

/// <summary>
/// Stage 3: the decoder's walk from latent noise to pixels. Keeps every step (latents, guided noise
/// prediction, predicted clean latents x0, a cheap preview of x0), the raw MoVQ output [B, 3, H, W] and the
/// final 8-bit images. Notebooks show it through the formatting layer's view of this type.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class DecoderTrajectory : IDisposable
{
    internal DecoderTrajectory(DecodeOptions options, DecoderRunInfo run, IReadOnlyList<string> labels, IReadOnlyList<int> timesteps, IReadOnlyList<DecoderStep> steps,
        IReadOnlyList<IReadOnlyList<Image>> previews, Tensor rawImages, IReadOnlyList<Image> images, AttentionMaps? attention = null)
    {
        Attention = attention;
        Options = options;
        Run = run;
        Labels = labels;
        Timesteps = timesteps;
        Steps = steps;
        Previews = previews;
        RawImages = rawImages;
        Images = images;
    }

    /// <summary>The settings the run used (its seed, and the image size it produced): what reproduces it.</summary>
    public DecodeOptions Options { get; }
    public DecoderRunInfo Run { get; }
    /// <summary>What each image is (its prompt).</summary>
    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<int> Timesteps { get; }
    public IReadOnlyList<DecoderStep> Steps { get; }
    /// <summary>Previews[step][image]: the predicted clean latents of each step made visible.</summary>
    public IReadOnlyList<IReadOnlyList<Image>> Previews { get; }
    /// <summary>movq.decode output [B, 3, H, W] (output_type "pt").</summary>
    public Tensor RawImages { get; }
    public IReadOnlyList<Image> Images { get; }
    /// <summary>The per-token attention maps when <see cref="DecodeOptions.AttentionCapture"/> asked for them, else null.</summary>
    public AttentionMaps? Attention { get; }

    public override string ToString() =>
        $"DecoderTrajectory: {Run.Mode}, {Steps.Count} {Run.Scheduler} steps, guidance {Options.GuidanceScale}, {SeedText}, " +
        $"{Images.Count} image(s) {Options.Width}x{Options.Height} (latents {Run.LatentHeight}x{Run.LatentWidth})";

    /// <summary>"seed 42", "given latents, seed 42", or "recorded noise".</summary>
    public string SeedText => (Run.LatentsGiven ? "given latents, " : "") + (Options.Seed is ulong s ? $"seed {s}" : "recorded noise");

    public void Dispose()
    {
        foreach (var s in Steps) s.Dispose();
        RawImages.Dispose();
    }
}

/// <summary>All three stages of one text-to-image run.</summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class GenerationResult(TextEncoding text, PriorTrajectory prior, DecoderTrajectory decoder) : IDisposable
{
    public TextEncoding Text { get; } = text;
    public PriorTrajectory Prior { get; } = prior;
    public DecoderTrajectory Decoder { get; } = decoder;
    public IReadOnlyList<Image> Images => Decoder.Images;

    public override string ToString() => $"{Text}\n{Prior}\n{Decoder}";

    public void Dispose()
    {
        Text.Dispose();
        Prior.Dispose();
        Decoder.Dispose();
    }
}
