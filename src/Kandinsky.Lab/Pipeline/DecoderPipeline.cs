using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// The decoder half of Kandinsky 2.1 (a <c>KandinskyPipeline</c> folder): XLM-R tokenizer, MultilingualCLIP,
/// the UNet, MoVQ and the schedulers.
/// </summary>
public sealed class DecoderPipeline : IDisposable
{
    /// <summary>The decoder pipeline pads XLM-R ids to 77, hard-coded in diffusers.</summary>
    public const int TextLength = 77;

    DecoderPipeline(string path, XlmRobertaTokenizer? tokenizer, MultilingualClip textEncoder, UNet2DConditionModel unet, VQModel movq,
        SchedulerConfig scheduler, SchedulerConfig? ddpm)
    {
        Path = path;
        Tokenizer = tokenizer;
        TextEncoder = textEncoder;
        Unet = unet;
        Movq = movq;
        SchedulerConfig = scheduler;
        DdpmSchedulerConfig = ddpm;
    }

    public string Path { get; }
    public XlmRobertaTokenizer? Tokenizer { get; }
    public MultilingualClip TextEncoder { get; }
    public UNet2DConditionModel Unet { get; }
    public VQModel Movq { get; }
    public SchedulerConfig SchedulerConfig { get; }
    public SchedulerConfig? DdpmSchedulerConfig { get; }
    /// <summary>movq_scale_factor = 2^(len(block_out_channels) − 1).</summary>
    public int MovqScaleFactor => Movq.Config.ScaleFactor;
    public int LatentChannels => Movq.Config.LatentChannels;
    /// <summary>The image size the UNet was configured for (sample_size × movq scale), or 512 when the config does not say.</summary>
    public int DefaultImageSize => (Unet.Config.SampleSize ?? 512 / MovqScaleFactor) * MovqScaleFactor;

    public static DecoderPipeline Load(string path)
    {
        var folder = ModelFolder.Open(path);
        var tokenizerDir = System.IO.Path.Combine(folder.Path, "tokenizer");
        var tokenizer = File.Exists(System.IO.Path.Combine(tokenizerDir, "sentencepiece.bpe.model")) ? XlmRobertaTokenizer.FromFolder(tokenizerDir) : null;
        var scheduler = SchedulerConfig.Load(folder["scheduler"].ConfigPath
            ?? throw new FileNotFoundException($"{folder.Path}/scheduler: scheduler_config.json is missing."));
        var ddpmPath = System.IO.Path.Combine(folder.Path, "ddpm_scheduler", "scheduler_config.json");
        var ddpm = File.Exists(ddpmPath) ? SchedulerConfig.Load(ddpmPath) : null;
        var textEncoder = MultilingualClip.Load(folder["text_encoder"].Path);
        UNet2DConditionModel? unet = null;
        try
        {
            unet = UNet2DConditionModel.Load(folder["unet"].Path);
            var movq = VQModel.Load(folder["movq"].Path);
            return new DecoderPipeline(folder.Path, tokenizer, textEncoder, unet, movq, scheduler, ddpm);
        }
        catch
        {
            textEncoder.Dispose();
            unet?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The scheduler a decode runs: the one place a <see cref="DecoderSchedulerKind"/> becomes a scheduler. DPM-Solver
    /// runs on the folder's default noise schedule with <paramref name="dpmSolver"/> (null: diffusers' defaults).
    /// </summary>
    public IScheduler CreateScheduler(DecoderSchedulerKind kind = DecoderSchedulerKind.Default, DpmSolverOptions? dpmSolver = null)
    {
        var config = kind switch
        {
            DecoderSchedulerKind.Default => SchedulerConfig,
            DecoderSchedulerKind.DpmSolverMultistep => (dpmSolver ?? new()).Over(SchedulerConfig),
            DecoderSchedulerKind.Ddpm => DdpmSchedulerConfig ?? (SchedulerConfig.ClassName == "DDPMScheduler" ? SchedulerConfig
                : throw new InvalidOperationException($"{Path}: no ddpm_scheduler/scheduler_config.json beside the decoder.")),
            _ => SchedulerConfig.ClassName == "DDIMScheduler" ? SchedulerConfig
                : throw new InvalidOperationException($"{Path}: the decoder's scheduler is {SchedulerConfig.ClassName}, not DDIMScheduler."),
        };
        return SchedulerFactory.Create(config, Path);
    }

    public IReadOnlyList<Tokenization> Tokenize(IEnumerable<string> texts)
    {
        var tokenizer = Tokenizer ?? throw new InvalidOperationException($"{Path}: the decoder folder has no tokenizer/sentencepiece.bpe.model; give token ids instead.");
        return texts.Select(tokenizer.Encode).ToList();
    }

    /// <summary>MultilingualCLIP on padded ids with their mask.</summary>
    public DecoderConditioning Encode(TokenBatch tokens, Action<string, Tensor>? trace = null)
    {
        var output = TextEncoder.Forward(tokens.InputIds, tokens.AttentionMask, trace);
        StageTensors.RequireFinite(output.LastHiddenState, "the MultilingualCLIP text encoder");
        return new DecoderConditioning(output.PromptEmbeds, output.LastHiddenState);
    }

    /// <summary>get_new_h_w: the latent size for a requested image size, ceil(h / s²)·s per side.</summary>
    public (int Height, int Width) LatentSize(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"Image size {height}x{width} must be positive.");
        int s = MovqScaleFactor;
        static int Up(int v, int d) => (v + d - 1) / d;
        return (Up(height, s * s) * s, Up(width, s * s) * s);
    }

    /// <summary>
    /// KandinskyPipeline.__call__: one image per image-embedding row, the rows shared out evenly over the prompts;
    /// the negatives are the negative prompts' MCLIP ("" by default). Returns the steps and the MoVQ output.
    /// </summary>
    public DecoderOutput Text2Img(DecoderInputs inputs, DecodeOptions options)
    {
        options.Validate();
        var (lh, lw) = LatentSize(options.Height ?? DefaultImageSize, options.Width ?? DefaultImageSize);
        var scheduler = CreateScheduler(options.Scheduler, options.DpmSolver);
        scheduler.SetTimesteps(options.Steps);
        options.Trace?.Invoke("decoder.timesteps", StageTensors.IntTensor(scheduler.Timesteps.ToArray()));
        var noise = options.NoiseSource();
        using var start = StartLatents(noise, options.Latents, inputs.Rows, lh, lw, scheduler.InitNoiseSigma);
        return Finish(inputs, start, scheduler.Timesteps.ToArray(), scheduler, options, noise, null);
    }

    /// <summary>
    /// KandinskyImg2ImgPipeline: <paramref name="preparedImage"/> ([1, 3, H, W] in −1…1) is MoVQ-encoded, noised with
    /// the pipeline's own schedule to t = int(1000·strength) − 2, then denoised over the remaining timesteps.
    /// </summary>
    public DecoderOutput Img2Img(DecoderInputs inputs, Tensor preparedImage, float strength, DecodeOptions options)
    {
        options.Validate();
        if (strength is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(strength), strength, "Img2Img: strength must be in (0, 1].");
        var trace = options.Trace;
        var (lh, lw) = LatentSize(preparedImage.Size(2), preparedImage.Size(3));
        int rows = inputs.Rows;
        trace?.Invoke("decoder.prepared_image", preparedImage);
        using var encoded = EncodeImage(preparedImage);                                   // [1, C, h, w]
        trace?.Invoke("decoder.encoded_latents", encoded);
        if (encoded.Size(2) != lh || encoded.Size(3) != lw)
            throw new ArgumentException($"Img2Img: the encoded image has {encoded.Size(2)}x{encoded.Size(3)} latents but the size needs {lh}x{lw}; use a height and width that are multiples of {MovqScaleFactor * MovqScaleFactor}.");
        using var batch = encoded.Expand(rows, encoded.Size(1), lh, lw);
        var scheduler = CreateScheduler(ImageToImageScheduler(options.Scheduler), options.DpmSolver);
        scheduler.SetTimesteps(options.Steps);
        var timesteps = Img2ImgStart.RemainingTimesteps(scheduler, options.Steps, strength);
        int latentTimestep = Img2ImgStart.LatentTimestep(scheduler.Config.NumTrainTimesteps, strength);
        var noise = options.NoiseSource();
        using var draw = noise.Next("the img2img start noise", rows, encoded.Size(1), lh, lw);
        using var start = Img2ImgStart.AddNoise(batch, draw, Enumerable.Repeat(latentTimestep, rows).ToArray());
        trace?.Invoke("decoder.noisy_latents", start);
        return Finish(inputs, start, timesteps, scheduler, options, noise, null);
    }

    /// <summary>
    /// KandinskyInpaintPipeline (9-channel UNet): <paramref name="mask"/> is [H, W] with 1 = repaint; the kept part of
    /// the MoVQ-encoded image and the eroded latent mask join the UNet input at every step.
    /// </summary>
    public DecoderOutput Inpaint(DecoderInputs inputs, Tensor preparedImage, ReadOnlySpan<float> mask, DecodeOptions options)
    {
        options.Validate();
        int expected = LatentChannels * 2 + 1;
        if (Unet.Config.InChannels != expected)
            throw new InvalidOperationException($"Inpaint needs the inpainting UNet (in_channels {expected}); this decoder's UNet has in_channels {Unet.Config.InChannels}.");
        int h = preparedImage.Size(2), w = preparedImage.Size(3), rows = inputs.Rows;
        var (lh, lw) = LatentSize(h, w);
        options.Trace?.Invoke("decoder.prepared_image", preparedImage);
        using var encoded = EncodeImage(preparedImage);                                   // [1, C, h', w']
        using var keep = ImagePreparation.PrepareMask(mask, h, w, encoded.Size(2), encoded.Size(3));   // [1, 1, h', w']
        using var masked = F.Mul(encoded, keep);
        using var maskedRows = masked.Expand(rows, masked.Size(1), masked.Size(2), masked.Size(3));
        using var keepRows = keep.Expand(rows, 1, keep.Size(2), keep.Size(3));
        using var inpaint = new InpaintInputs(maskedRows.Contiguous().Clone(), keepRows.Contiguous().Clone());
        var scheduler = CreateScheduler(ImageToImageScheduler(options.Scheduler), options.DpmSolver);
        scheduler.SetTimesteps(options.Steps);
        var noise = options.NoiseSource();
        using var start = StartLatents(noise, options.Latents, rows, lh, lw, scheduler.InitNoiseSigma);
        return Finish(inputs, start, scheduler.Timesteps.ToArray(), scheduler, options, noise, inpaint);
    }

    /// <summary>The img2img and inpainting pipelines of diffusers run DDIM; an explicit choice is honoured.</summary>
    static DecoderSchedulerKind ImageToImageScheduler(DecoderSchedulerKind kind) => kind == DecoderSchedulerKind.Default ? DecoderSchedulerKind.Ddim : kind;

    DecoderOutput Finish(DecoderInputs inputs, Tensor start, IReadOnlyList<int> timesteps, IScheduler scheduler, DecodeOptions options, INoiseSource noise,
        InpaintInputs? inpaint)
    {
        int rows = inputs.Rows, prompts = inputs.Prompts.Rows;
        if (inputs.NegativeImageEmbeds.Size(0) != rows)
            throw new ArgumentException($"Decoder: {rows} image embedding rows but {inputs.NegativeImageEmbeds.Size(0)} negative rows.");
        if (rows % prompts != 0)
            throw new ArgumentException($"Decoder: {rows} image embedding rows cannot be shared out over {prompts} prompts.");
        var rowPrompts = Enumerable.Range(0, rows).Select(r => r / (rows / prompts)).ToArray();
        using var cond = inputs.Prompts.SelectRows(rowPrompts);
        using var uncond = inputs.Negatives.SelectRows(rowPrompts);
        using var attention = DecoderAttention.For(options, inputs.PromptTokens, rowPrompts, options.GuidanceScale > 1f, start.Size(2), start.Size(3));
        var run = Denoise(new DecoderInputs(cond, uncond, inputs.ImageEmbeds, inputs.NegativeImageEmbeds), start, timesteps, scheduler, options, noise, inpaint, attention);
        using (run.Latents)
        {
            var raw = DecodeLatents(run.Latents, options.Trace);
            if (options.Trace is { } trace)
            {
                using var unit = ImagePreparation.ToUnitNhwc(raw);
                trace("out.image_np", unit);
            }
            return new DecoderOutput(run.Timesteps, run.Steps, raw, rowPrompts, SchedulerName(scheduler.Config), run.Attention);
        }
    }

    /// <summary>The scheduler's name as its config gives it, without the suffix: "DDIM", "DDPM".</summary>
    static string SchedulerName(SchedulerConfig config) => config.ClassName.Replace("Scheduler", "", StringComparison.Ordinal);

    Tensor StartLatents(INoiseSource noise, Tensor? latents, int rows, int lh, int lw, float sigma)
    {
        int channels = LatentChannels;
        if (latents != null)
        {
            if (!latents.Shape.SequenceEqual([rows, channels, lh, lw]))
                throw new ArgumentException($"Decoder: unexpected latents shape, got {latents.ShapeString}, expected [{rows}, {channels}, {lh}, {lw}].");
            return F.Mul(latents, sigma);
        }
        using var drawn = noise.Next("the decoder's initial latents", rows, channels, lh, lw);
        return F.Mul(drawn, sigma);
    }

    /// <summary>
    /// The decoder loop (KandinskyPipeline.__call__) over rows already matched to their prompts: CFG batches [negative, positive]; the UNet's noise channels
    /// guided, the conditional variance re-attached; DDIM gets the 4 noise channels, a learned-range DDPM all 8.
    /// Without guidance (g ≤ 1) the UNet runs on the conditional rows alone. <paramref name="attention"/> (when the
    /// options capture or re-weight attention) sees every UNet call.
    /// </summary>
    DecoderRun Denoise(DecoderInputs rowInputs, Tensor startLatents, IReadOnlyList<int> timesteps, IScheduler scheduler, DecodeOptions options,
        INoiseSource noise, InpaintInputs? inpaint, DecoderAttention? attention)
    {
        var (cond, uncond, imageEmbeds, negativeImageEmbeds) = rowInputs;
        var (guidanceScale, callbacks, trace) = (options.GuidanceScale, options.Callbacks, options.Trace);
        bool cfg = guidanceScale > 1f;
        int rows = cond.Rows;
        if (imageEmbeds.Size(0) != rows || startLatents.Size(0) != rows)
            throw new ArgumentException($"Decoder: {rows} text rows, but image_embeds {imageEmbeds.ShapeString} and latents {startLatents.ShapeString}.");

        using var hidden = cfg ? F.Cat([uncond.HiddenStates, cond.HiddenStates], 0) : cond.HiddenStates.Alias();
        using var textEmbeds = cfg ? F.Cat([uncond.PromptEmbeds, cond.PromptEmbeds], 0) : cond.PromptEmbeds.Alias();
        using var images = cfg ? F.Cat([negativeImageEmbeds, imageEmbeds], 0) : imageEmbeds.Alias();
        using var extra = inpaint == null ? null : InpaintChannels(inpaint, cfg);
        bool learnedVariance = scheduler.Config.VarianceType is "learned" or "learned_range";
        int latentChannels = startLatents.Size(1);

        var x = startLatents.Clone();
        var records = new List<DecoderStep>();
        try
        {
            for (int i = 0; i < timesteps.Count; i++)
            {
                callbacks?.CancellationToken.ThrowIfCancellationRequested();
                int t = timesteps[i];
                var name = $"decoder.step.{i}";
                trace?.Invoke($"{name}.latents", x);
                trace?.Invoke($"{name}.timestep", StageTensors.IntTensor([t]));
                using var doubled = cfg ? F.Cat([x, x], 0) : x.Alias();
                using var sample = extra == null ? doubled.Alias() : F.Cat([doubled, extra], 1);
                trace?.Invoke($"{name}.unet_sample", sample);
                trace?.Invoke($"{name}.unet_encoder_hidden_states", hidden);
                trace?.Invoke($"{name}.unet_text_embeds", textEmbeds);
                trace?.Invoke($"{name}.unet_image_embeds", images);
                attention?.BeginStep();
                using var output = Unet.Forward(sample, [t], hidden, textEmbeds, images, attention: attention);   // [R or 2R, 8, h, w]
                attention?.EndStep();
                trace?.Invoke($"{name}.unet_out", output);
                using var modelOutput = GuidedOutput(output, latentChannels, cfg, guidanceScale, learnedVariance);
                using var guidedNoise = modelOutput.Slice(1, 0, latentChannels);
                trace?.Invoke($"{name}.guided_noise_pred", guidedNoise);
                using var stepNoise = scheduler.NeedsNoise(t) ? noise.Next($"decoder step {i} (t = {t})", x.ShapeArray()) : null;
                using var stepped = scheduler.Step(modelOutput, t, x, stepNoise);
                var next = stepped.PrevSample.Clone();
                trace?.Invoke($"{name}.prev_latents", next);
                StageTensors.RequireFinite(next, $"decoder step {i} (t = {t})");
                var record = new DecoderStep(i, t, x, guidedNoise.Clone(), stepped.PredOriginalSample.Clone(), next);
                records.Add(record);
                x = next;
                callbacks?.Report(record, timesteps.Count);
            }
            return new DecoderRun(timesteps.ToArray(), records, x, attention?.Recording(timesteps.ToArray()));
        }
        catch
        {
            foreach (var r in records) r.Dispose();
            x.Dispose();
            throw;
        }
    }

    /// <summary>noise = uncond + g·(cond − uncond) on the first channels, the conditional half's variance re-attached.</summary>
    static Tensor GuidedOutput(Tensor output, int latentChannels, bool cfg, float g, bool keepVariance)
    {
        Tensor guided;
        if (cfg)
        {
            var halves = output.Chunk(2, 0);
            using var epsU = halves[0].Slice(1, 0, latentChannels);
            using var epsC = halves[1].Slice(1, 0, latentChannels);
            using var varC = halves[1].Slice(1, latentChannels, halves[1].Size(1));
            using var diff = F.Sub(epsC, epsU);
            using var scaled = F.Mul(diff, g);
            using var eps = F.Add(epsU, scaled);
            guided = F.Cat([eps, varC], 1);
            foreach (var h in halves) h.Dispose();
        }
        else guided = output.Clone();
        if (keepVariance) return guided;
        using (guided)
        {
            using var noiseOnly = guided.Slice(1, 0, latentChannels);
            return noiseOnly.Contiguous().Clone();
        }
    }

    static Tensor InpaintChannels(InpaintInputs inpaint, bool cfg)
    {
        using var both = F.Cat([inpaint.MaskedImageLatents, inpaint.Mask], 1);
        return cfg ? F.Cat([both, both], 0) : both.Clone();
    }

    /// <summary>movq.decode(latents, force_not_quantize=True): raw images [R, 3, H, W], about −1…1.</summary>
    public Tensor DecodeLatents(Tensor latents, Action<string, Tensor>? trace = null)
    {
        trace?.Invoke("decoder.movq.latents_in", latents);
        var images = Movq.Decode(latents, forceNotQuantize: true);
        trace?.Invoke("decoder.movq.decoded", images);
        StageTensors.RequireFinite(images, "the MoVQ decoder");
        return images;
    }

    /// <summary>movq.encode(image).latents (not quantized), as img2img and inpainting use them.</summary>
    public Tensor EncodeImage(Tensor image) => Movq.Encode(image);

    public void Dispose()
    {
        TextEncoder.Dispose();
        Unet.Dispose();
        Movq.Dispose();
    }
}
