using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

public sealed partial class KandinskyLab
{
    // ---- stage 2: prior ---------------------------------------------------------------------------

    /// <summary>
    /// Runs the prior on <paramref name="text"/> (KandinskyPriorPipeline): <paramref name="steps"/> UnCLIP steps,
    /// classifier-free guidance against "" when <paramref name="guidanceScale"/> &gt; 1. The noise comes from
    /// <paramref name="seed"/> through <see cref="TorchGenerator"/> (the same draws as diffusers on CPU), or the
    /// initial <paramref name="latents"/> are given. A random seed is chosen (and recorded) when neither is.
    /// </summary>
    public PriorTrajectory Prior(TextEncoding text, int steps = 25, float guidanceScale = 4f, ulong? seed = null, Tensor? latents = null,
        int imagesPerPrompt = 1, Action<PriorStep>? onStep = null, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var usedSeed = latents == null ? seed ?? RandomSeed() : seed;
        return Prior(text, steps, guidanceScale, new GeneratorNoise(usedSeed ?? 0), usedSeed, latents, imagesPerPrompt,
            new StageCallbacks<PriorStep>("prior") { OnStep = onStep, Progress = progress, CancellationToken = cancellationToken });
    }

    /// <summary>The prior with an explicit noise source (recorded noise for parity, a shared generator for <see cref="Generate"/>).</summary>
    public PriorTrajectory Prior(TextEncoding text, int steps, float guidanceScale, INoiseSource noise, ulong? seed = null, Tensor? latents = null,
        int imagesPerPrompt = 1, StageCallbacks<PriorStep>? callbacks = null, Action<string, Tensor>? trace = null)
    {
        var output = PriorPipeline.Run(text.Clip, text.ClipNegative, text.ClipEmpty, steps, guidanceScale, noise, latents, imagesPerPrompt, callbacks, trace);
        StageDone();
        var labels = output.PromptRows.Select(i => text.Prompts[i]).ToList();
        var rowLabels = text.NegativePrompts == null ? labels : labels.Concat(output.PromptRows.Select(i => text.NegativePrompts[i])).ToList();
        var negativeLabels = text.NegativePrompts == null ? labels.Select(_ => "zero image").ToList() : output.PromptRows.Select(i => $"negative: {text.NegativePrompts[i]}").ToList();
        return new PriorTrajectory(new PriorSettings(steps, guidanceScale, seed, imagesPerPrompt, latents != null), rowLabels, output.Timesteps, output.Steps,
            new ImageEmbedding(output.ImageEmbeds, labels), new ImageEmbedding(output.NegativeImageEmbeds, negativeLabels),
            new ImageEmbedding(output.PromptTextEmbeds, labels.Select(l => $"text: {l}").ToList()), Visuals.PriorLatentSpace.Of(this));
    }

    // ---- stage 3: decoder -------------------------------------------------------------------------

    /// <summary>
    /// Decodes the prior's image embeddings with the text (KandinskyPipeline): <paramref name="steps"/> scheduler
    /// steps with guidance against the negative text and the chosen negative image embedding, then MoVQ. Sizes are
    /// rounded up as get_new_h_w does; the default size is the model's own (512 for Kandinsky 2.1).
    /// </summary>
    public DecoderTrajectory Decode(PriorTrajectory prior, TextEncoding text, int steps = 100, float guidanceScale = 4f, ulong? seed = null,
        int? width = null, int? height = null, Tensor? latents = null, NegativeEmbeddingChoice negative = NegativeEmbeddingChoice.FromPrior,
        DecoderSchedulerKind scheduler = DecoderSchedulerKind.Default, bool decodePreviews = false,
        Action<DecoderStep>? onStep = null, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var zero = negative == NegativeEmbeddingChoice.ZeroImage ? ZeroImageEmbedding(prior.ImageEmbeds.Count) : null;
        return Decode(prior.ImageEmbeds, zero ?? prior.NegativeImageEmbeds, text, steps, guidanceScale, seed, width, height, latents, scheduler,
            decodePreviews, onStep, progress, cancellationToken);
    }

    /// <summary>Decodes given image embeddings (from the prior, an image, a mix …) with the text; one image per embedding row.</summary>
    public DecoderTrajectory Decode(ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text, int steps = 100,
        float guidanceScale = 4f, ulong? seed = null, int? width = null, int? height = null, Tensor? latents = null,
        DecoderSchedulerKind scheduler = DecoderSchedulerKind.Default, bool decodePreviews = false,
        Action<DecoderStep>? onStep = null, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var usedSeed = latents == null ? seed ?? RandomSeed() : seed;
        return Decode(imageEmbeds, negativeImageEmbeds, text, steps, guidanceScale, new GeneratorNoise(usedSeed ?? 0), usedSeed, width, height, latents,
            scheduler, decodePreviews, new StageCallbacks<DecoderStep>("decoder") { OnStep = onStep, Progress = progress, CancellationToken = cancellationToken });
    }

    /// <summary>The decoder with an explicit noise source.</summary>
    public DecoderTrajectory Decode(ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text, int steps, float guidanceScale,
        INoiseSource noise, ulong? seed = null, int? width = null, int? height = null, Tensor? latents = null,
        DecoderSchedulerKind scheduler = DecoderSchedulerKind.Default, bool decodePreviews = false, StageCallbacks<DecoderStep>? callbacks = null,
        Action<string, Tensor>? trace = null)
    {
        int w = width ?? DefaultImageSize, h = height ?? DefaultImageSize;
        var output = DecoderPipeline.Text2Img(text.Mclip, text.MclipNegative, imageEmbeds.Tensor, negativeImageEmbeds.Tensor, steps, guidanceScale, h, w,
            noise, latents, scheduler, callbacks, trace);
        return Trajectory(output, text, guidanceScale, seed, latents != null, "text2img", steps, decodePreviews);
    }

    /// <summary>
    /// Image-to-image (KandinskyImg2ImgPipeline): the image is resized to the output size, MoVQ-encoded, noised as far
    /// as <paramref name="strength"/> says and denoised over the remaining DDIM steps with the text and embeddings.
    /// </summary>
    public DecoderTrajectory Img2Img(Image image, ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text, float strength = 0.3f,
        int steps = 100, float guidanceScale = 4f, ulong? seed = null, int? width = null, int? height = null, bool decodePreviews = false,
        StageCallbacks<DecoderStep>? callbacks = null)
    {
        var usedSeed = seed ?? RandomSeed();
        int w = width ?? DefaultImageSize, h = height ?? DefaultImageSize;
        using var prepared = ImagePreparation.PrepareImage(image, h, w);
        var output = DecoderPipeline.Img2Img(text.Mclip, text.MclipNegative, imageEmbeds.Tensor, negativeImageEmbeds.Tensor, prepared, strength, steps,
            guidanceScale, new GeneratorNoise(usedSeed), callbacks);
        return Trajectory(output, text, guidanceScale, usedSeed, false, $"img2img (strength {strength})", steps, decodePreviews);
    }

    /// <summary>Inpainting (needs the 9-channel inpaint UNet): <paramref name="mask"/> is [H, W] with 1 = repaint.</summary>
    public DecoderTrajectory Inpaint(Image image, float[] mask, ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text,
        int steps = 100, float guidanceScale = 4f, ulong? seed = null, bool decodePreviews = false, StageCallbacks<DecoderStep>? callbacks = null)
    {
        var usedSeed = seed ?? RandomSeed();
        using var prepared = image.ToTensor();
        var output = DecoderPipeline.Inpaint(text.Mclip, text.MclipNegative, imageEmbeds.Tensor, negativeImageEmbeds.Tensor, prepared, mask, steps,
            guidanceScale, new GeneratorNoise(usedSeed), null, callbacks);
        return Trajectory(output, text, guidanceScale, usedSeed, false, "inpaint", steps, decodePreviews);
    }

    DecoderTrajectory Trajectory(DecoderOutput output, TextEncoding text, float guidanceScale, ulong? seed, bool latentsGiven, string mode, int steps, bool decodePreviews)
    {
        int rows = output.RawImages.Size(0), scale = DecoderPipeline.MovqScaleFactor;
        int height = output.RawImages.Size(2), width = output.RawImages.Size(3);
        var settings = new DecoderSettings(steps, guidanceScale, seed, width, height, height / scale, width / scale, output.Scheduler, latentsGiven, mode);
        var images = Enumerable.Range(0, rows).Select(i => Image.FromTensor(output.RawImages, i)).ToList();
        var previews = output.Steps.Select(s => (IReadOnlyList<Image>)Enumerable.Range(0, rows).Select(i => Preview(s.PredOriginal, i, scale, decodePreviews)).ToList()).ToList();
        var labels = output.RowPrompts.Select(p => text.Prompts[p]).ToList();
        StageDone();
        return new DecoderTrajectory(settings, labels, output.Timesteps, output.Steps, previews, output.RawImages, images);
    }

    /// <summary>A picture of a decoder step's predicted clean latents (for a per-step callback): cheap, or MoVQ-decoded.</summary>
    public Image Preview(DecoderStep step, int row = 0, bool decode = false) => Preview(step.PredOriginal, row, DecoderPipeline.MovqScaleFactor, decode);

    Image Preview(Tensor latents, int row, int scale, bool decode)
    {
        if (!decode) return LatentPreview.Render(latents, row, scale);
        using var one = latents.Slice(0, row, row + 1);
        using var pixels = DecoderPipeline.Movq.Decode(one, forceNotQuantize: true);
        return Image.FromTensor(pixels, 0);
    }

    // ---- all three ----------------------------------------------------------------------------------

    /// <summary>
    /// Text → image embedding → image in one call (KandinskyCombinedPipeline). With a seed, one generator feeds the
    /// prior and then the decoder, as the combined pipeline shares its generator.
    /// </summary>
    public GenerationResult Generate(string prompt, string? negativePrompt = null, int priorSteps = 25, int steps = 100, float guidanceScale = 4f,
        float priorGuidanceScale = 4f, ulong? seed = null, int? width = null, int? height = null, int imagesPerPrompt = 1,
        DecoderSchedulerKind scheduler = DecoderSchedulerKind.Default, bool decodePreviews = false,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Generate([prompt], negativePrompt == null ? null : [negativePrompt], priorSteps, steps, guidanceScale, priorGuidanceScale, seed, width, height,
            imagesPerPrompt, scheduler, decodePreviews, progress, cancellationToken);

    public GenerationResult Generate(IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts, int priorSteps = 25, int steps = 100,
        float guidanceScale = 4f, float priorGuidanceScale = 4f, ulong? seed = null, int? width = null, int? height = null, int imagesPerPrompt = 1,
        DecoderSchedulerKind scheduler = DecoderSchedulerKind.Default, bool decodePreviews = false,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var usedSeed = seed ?? RandomSeed();
        var noise = new GeneratorNoise(usedSeed);
        var text = EncodeText(prompts, negativePrompts);
        PriorTrajectory? prior = null;
        try
        {
            prior = Prior(text, priorSteps, priorGuidanceScale, noise, usedSeed, null, imagesPerPrompt,
                new StageCallbacks<PriorStep>("prior") { Progress = progress, CancellationToken = cancellationToken });
            var decoder = Decode(prior.ImageEmbeds, prior.NegativeImageEmbeds, text, steps, guidanceScale, noise, usedSeed, width, height, null, scheduler,
                decodePreviews, new StageCallbacks<DecoderStep>("decoder") { Progress = progress, CancellationToken = cancellationToken });
            return new GenerationResult(text, prior, decoder);
        }
        catch
        {
            prior?.Dispose();
            text.Dispose();
            throw;
        }
    }

    // ---- images and embeddings --------------------------------------------------------------------

    /// <summary>The CLIP image embedding of an image (CLIP preprocessing + image encoder), for mixing and interpolation.</summary>
    public ImageEmbedding EmbedImage(Image image, string label = "image")
    {
        var rgb = image.ToRgb8();
        return new ImageEmbedding(PriorPipeline.EmbedImage(rgb.Bytes!, rgb.Height, rgb.Width), [label]);
    }

    /// <summary>image_encoder(zeros): the "no image" embedding, <paramref name="rows"/> times.</summary>
    public ImageEmbedding ZeroImageEmbedding(int rows = 1) =>
        new(PriorPipeline.ZeroImageEmbedding(rows), Enumerable.Repeat("zero image", rows).ToList());

    static ulong RandomSeed() => (ulong)Random.Shared.NextInt64(0, long.MaxValue);
}
