using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

public sealed partial class KandinskyLab
{
    // ---- stage 2: prior ---------------------------------------------------------------------------

    /// <summary>
    /// Runs the prior on <paramref name="text"/> (KandinskyPriorPipeline) as <paramref name="options"/> say (default:
    /// 25 UnCLIP steps, guidance 4 against ""). The noise comes from the seed through <see cref="TorchGenerator"/>
    /// (the same draws as diffusers on CPU); without a seed or a noise source a random seed is chosen and recorded.
    /// </summary>
    public PriorTrajectory Prior(TextEncoding text, PriorOptions? options = null)
    {
        options = WithSeed(options ?? new PriorOptions());
        PriorOutput output;
        using (var hosted = new HostedStage<PriorStep>(Host, "prior", options.Callbacks, preview: null))
            output = PriorPipeline.Run(text.Clip, text.ClipNegative, text.ClipEmpty, options with { Callbacks = hosted.Callbacks });
        StageDone();
        var labels = output.RowPrompts.Select(i => text.Prompts[i]).ToList();
        var rowLabels = text.NegativePrompts == null ? labels : labels.Concat(output.RowPrompts.Select(i => text.NegativePrompts[i])).ToList();
        var negativeLabels = text.NegativePrompts == null ? labels.Select(_ => "zero image").ToList() : output.RowPrompts.Select(i => $"negative: {text.NegativePrompts[i]}").ToList();
        return new PriorTrajectory(options.Settings(), options.Latents != null, rowLabels, output.Timesteps, output.Steps,
            new ImageEmbedding(output.ImageEmbeds, labels), new ImageEmbedding(output.NegativeImageEmbeds, negativeLabels),
            new ImageEmbedding(output.PromptTextEmbeds, labels.Select(l => $"text: {l}").ToList()), PriorLatentSpace.Of(PriorPipeline.Prior));
    }

    // ---- stage 3: decoder -------------------------------------------------------------------------

    /// <summary>
    /// Decodes the prior's image embeddings with the text (KandinskyPipeline) as <paramref name="options"/> say
    /// (default: 100 steps of the folder's scheduler, guidance 4 against the negative text and the prior's negative
    /// embedding, the model's own size), then MoVQ.
    /// </summary>
    public DecoderTrajectory Decode(PriorTrajectory prior, TextEncoding text, DecodeOptions? options = null) =>
        Decode(prior.ImageEmbeds, prior.NegativeImageEmbeds, text, options);

    /// <summary>Decodes given image embeddings (from the prior, an image, a mix …) with the text; one image per embedding row.</summary>
    public DecoderTrajectory Decode(ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text, DecodeOptions? options = null)
    {
        options = WithSeed(options ?? new DecodeOptions());
        using var zero = NegativeOverride(options, imageEmbeds.Count);
        using var hosted = Hosted(options);
        var output = DecoderPipeline.Text2Img(Inputs(text, imageEmbeds, zero ?? negativeImageEmbeds), options with { Callbacks = hosted.Callbacks });
        return Trajectory(output, text, options, "text2img");
    }

    /// <summary>
    /// Image-to-image (KandinskyImg2ImgPipeline): the image is resized to the output size, MoVQ-encoded, noised as far
    /// as <paramref name="strength"/> says and denoised over the remaining steps with the text and embeddings.
    /// </summary>
    public DecoderTrajectory Img2Img(Image image, float strength, ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text,
        DecodeOptions? options = null)
    {
        options = WithSeed(options ?? new DecodeOptions());
        using var zero = NegativeOverride(options, imageEmbeds.Count);
        using var prepared = ImagePreparation.PrepareImage(image, options.Height ?? DefaultImageSize, options.Width ?? DefaultImageSize);
        using var hosted = Hosted(options);
        var output = DecoderPipeline.Img2Img(Inputs(text, imageEmbeds, zero ?? negativeImageEmbeds), prepared, strength, options with { Callbacks = hosted.Callbacks });
        return Trajectory(output, text, options, $"img2img (strength {strength})");
    }

    /// <summary>Inpainting (needs the 9-channel inpaint UNet): <paramref name="mask"/> is [H, W] with 1 = repaint; the image keeps its size.</summary>
    public DecoderTrajectory Inpaint(Image image, float[] mask, ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds, TextEncoding text,
        DecodeOptions? options = null)
    {
        options = WithSeed(options ?? new DecodeOptions());
        using var zero = NegativeOverride(options, imageEmbeds.Count);
        using var prepared = image.ToTensor();
        using var hosted = Hosted(options);
        var output = DecoderPipeline.Inpaint(Inputs(text, imageEmbeds, zero ?? negativeImageEmbeds), prepared, mask, options with { Callbacks = hosted.Callbacks });
        return Trajectory(output, text, options, "inpaint");
    }

    /// <summary>The host that watches every stage (a notebook kernel adapter sets it once); null elsewhere.</summary>
    public static IStageHost? Host { get; set; }

    /// <summary>A decoder run under the <see cref="Host"/>: its steps drawn as cheap latent previews.</summary>
    HostedStage<DecoderStep> Hosted(DecodeOptions options) =>
        new(Host, "decoder", options.Callbacks, step => Preview(step.PredOriginal, 0, DecoderPipeline.MovqScaleFactor, decode: false));

    static DecoderInputs Inputs(TextEncoding text, ImageEmbedding imageEmbeds, ImageEmbedding negativeImageEmbeds) =>
        new(text.Mclip, text.MclipNegative, imageEmbeds.Tensor, negativeImageEmbeds.Tensor) { PromptTokens = text.XlmrTokens };

    /// <summary>The zero-image embedding when the options choose it over the given negative, else null.</summary>
    ImageEmbedding? NegativeOverride(DecodeOptions options, int rows) =>
        options.NegativeEmbedding == NegativeEmbeddingChoice.ZeroImage ? ZeroImageEmbedding(rows) : null;

    DecoderTrajectory Trajectory(DecoderOutput output, TextEncoding text, DecodeOptions options, string mode)
    {
        int rows = output.RawImages.Size(0), scale = DecoderPipeline.MovqScaleFactor;
        int height = output.RawImages.Size(2), width = output.RawImages.Size(3);
        var settings = options.Settings() with { Width = width, Height = height };
        var run = new DecoderRunInfo(mode, output.Scheduler, height / scale, width / scale, options.Latents != null);
        var images = Enumerable.Range(0, rows).Select(i => Image.FromTensor(output.RawImages, i)).ToList();
        var previews = output.Steps.Select(s => (IReadOnlyList<Image>)Enumerable.Range(0, rows).Select(i => Preview(s.PredOriginal, i, scale, options.DecodePreviews)).ToList()).ToList();
        var labels = output.RowPrompts.Select(p => text.Prompts[p]).ToList();
        var attention = output.Attention == null ? null
            : new AttentionMaps(output.Attention, labels, output.RowPrompts.Select(p => text.XlmrTokens?[p]).ToList(), images);
        StageDone();
        return new DecoderTrajectory(settings, run, labels, output.Timesteps, output.Steps, previews, output.RawImages, images, attention);
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
    /// Text → image embedding → image in one call (KandinskyCombinedPipeline). One generator feeds the prior and then
    /// the decoder, as the combined pipeline shares its generator: its seed is the one either options give (they
    /// must agree), else a random one, recorded in both stages' results.
    /// </summary>
    public GenerationResult Generate(string prompt, PriorOptions? prior = null, DecodeOptions? decode = null, string? negativePrompt = null) =>
        Generate([prompt], prior, decode, negativePrompt == null ? null : [negativePrompt]);

    public GenerationResult Generate(IReadOnlyList<string> prompts, PriorOptions? prior, DecodeOptions? decode, IReadOnlyList<string>? negativePrompts)
    {
        prior ??= new PriorOptions();
        decode ??= new DecodeOptions();
        if (prior.Seed is ulong a && decode.Seed is ulong b && a != b)
            throw new ArgumentException($"Generate: the prior's seed {a} and the decoder's seed {b} differ; one generator feeds both stages, give one seed.");
        var seed = prior.Seed ?? decode.Seed ?? RandomSeed();
        var noise = new GeneratorNoise(seed);
        var text = EncodeText(prompts, negativePrompts);
        PriorTrajectory? priorResult = null;
        try
        {
            priorResult = Prior(text, prior with { Seed = seed, Noise = noise });
            var decoder = Decode(priorResult, text, decode with { Seed = seed, Noise = noise });
            return new GenerationResult(text, priorResult, decoder);
        }
        catch
        {
            priorResult?.Dispose();
            text.Dispose();
            throw;
        }
    }

    /// <summary>Generates again what <paramref name="record"/> describes (prompts, seed, every setting): the same images, bit for bit, on the same model.</summary>
    public GenerationResult Replay(GenerationRecord record) => Generate(record.Prompt, record.Prior, record.Decode, record.NegativePrompt);

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

    /// <summary>The options with a seed: theirs, else a random one (to be recorded) unless a noise source is given.</summary>
    static PriorOptions WithSeed(PriorOptions o) => o.Seed != null || o.Noise != null ? o : o with { Seed = RandomSeed() };

    static DecodeOptions WithSeed(DecodeOptions o) => o.Seed != null || o.Noise != null ? o : o with { Seed = RandomSeed() };

    static ulong RandomSeed() => (ulong)Random.Shared.NextInt64(0, long.MaxValue);
}
