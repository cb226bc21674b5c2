using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tokenizers.Clip;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// The prior half of Kandinsky 2.1 (a <c>KandinskyPriorPipeline</c> folder): CLIP tokenizer and text encoder, the
/// CLIP image encoder with its processor, the <see cref="PriorTransformer"/> and its UnCLIP scheduler config.
/// </summary>
public sealed class PriorPipeline : IDisposable
{
    PriorPipeline(string path, ClipTokenizer? tokenizer, ClipTextModelWithProjection textEncoder, ClipVisionModelWithProjection? imageEncoder,
        ClipImageProcessor? imageProcessor, PriorTransformer prior, SchedulerConfig scheduler)
    {
        Path = path;
        Tokenizer = tokenizer;
        TextEncoder = textEncoder;
        ImageEncoder = imageEncoder;
        ImageProcessor = imageProcessor;
        Prior = prior;
        SchedulerConfig = scheduler;
    }

    public string Path { get; }
    /// <summary>Null for folders without tokenizer files (the golden cases give token ids instead).</summary>
    public ClipTokenizer? Tokenizer { get; }
    public ClipTextModelWithProjection TextEncoder { get; }
    public ClipVisionModelWithProjection? ImageEncoder { get; }
    public ClipImageProcessor? ImageProcessor { get; }
    public PriorTransformer Prior { get; }
    public SchedulerConfig SchedulerConfig { get; }
    /// <summary>Token sequence length the prior expects (its num_embeddings; the tokenizer's model_max_length).</summary>
    public int MaxTokens => Prior.Config.NumEmbeddings;
    public int EmbeddingDim => Prior.Config.EmbeddingDim;

    public static PriorPipeline Load(string path)
    {
        var folder = ModelFolder.Open(path);
        var tokenizerDir = System.IO.Path.Combine(folder.Path, "tokenizer");
        var tokenizer = File.Exists(System.IO.Path.Combine(tokenizerDir, "vocab.json")) ? ClipTokenizer.FromFolder(tokenizerDir) : null;
        var processor = folder.Has("image_processor") && folder["image_processor"].HasConfig ? ClipImageProcessor.Load(folder["image_processor"].Path) : null;
        var scheduler = SchedulerConfig.Load(folder["scheduler"].ConfigPath
            ?? throw new FileNotFoundException($"{folder.Path}/scheduler: scheduler_config.json is missing."));
        var textEncoder = ClipTextModelWithProjection.Load(folder["text_encoder"].Path);
        ClipVisionModelWithProjection? imageEncoder = null;
        try
        {
            if (folder.Has("image_encoder") && folder["image_encoder"].Exists) imageEncoder = ClipVisionModelWithProjection.Load(folder["image_encoder"].Path);
            var prior = PriorTransformer.Load(folder["prior"].Path);
            return new PriorPipeline(folder.Path, tokenizer, textEncoder, imageEncoder, processor, prior, scheduler);
        }
        catch
        {
            textEncoder.Dispose();
            imageEncoder?.Dispose();
            throw;
        }
    }

    /// <summary>Tokenizes texts with the CLIP tokenizer, padded to <see cref="MaxTokens"/>.</summary>
    public IReadOnlyList<Tokenization> Tokenize(IEnumerable<string> texts)
    {
        var tokenizer = Tokenizer ?? throw new InvalidOperationException($"{Path}: the prior folder has no tokenizer/ (vocab.json, merges.txt); give token ids instead.");
        return texts.Select(tokenizer.Encode).ToList();
    }

    /// <summary>The CLIP text encoder on padded ids, without an attention mask (as the prior pipeline calls it).</summary>
    public PriorConditioning Encode(TokenBatch tokens, Action<string, Tensor>? trace = null)
    {
        var output = TextEncoder.Forward(tokens.InputIds, null, trace);
        StageTensors.RequireFinite(output.LastHiddenState, "the CLIP text encoder");
        return new PriorConditioning(output.TextEmbeds, output.LastHiddenState, tokens.AttentionMask);
    }

    /// <summary>image_encoder(zeros(1, 3, S, S)).image_embeds repeated <paramref name="rows"/> times: the prior's negative without a negative prompt.</summary>
    public Tensor ZeroImageEmbedding(int rows, Action<string, Tensor>? trace = null)
    {
        var encoder = ImageEncoder ?? throw new InvalidOperationException($"{Path}: no image_encoder/ component, needed for the zero-image negative embedding.");
        int size = encoder.Config.ImageSize;
        using var zeros = Tensor.Zeros(1, encoder.Config.NumChannels, size, size);
        trace?.Invoke("prior.image_encoder.zero_image.pixel_values", zeros);
        using var output = encoder.Forward(zeros);
        trace?.Invoke("prior.image_encoder.zero_image.image_embeds", output.ImageEmbeds);
        using var one = output.ImageEmbeds.Contiguous();
        using var expanded = one.Expand(rows, one.Size(1));
        return expanded.Contiguous().Clone();
    }

    /// <summary>The CLIP image embedding of an RGB image ([H, W, 3] bytes) after the CLIP preprocessing: [1, D].</summary>
    public Tensor EmbedImage(ReadOnlySpan<byte> rgb, int height, int width)
    {
        var encoder = ImageEncoder ?? throw new InvalidOperationException($"{Path}: no image_encoder/ component, needed to embed images.");
        var processor = ImageProcessor ?? throw new InvalidOperationException($"{Path}: no image_processor/preprocessor_config.json, needed to embed images.");
        using var pixels = processor.Preprocess(rgb, height, width);
        using var output = encoder.Forward(pixels);
        return output.ImageEmbeds.Clone();
    }

    public IScheduler CreateScheduler() => SchedulerFactory.Create(SchedulerConfig, System.IO.Path.Combine(Path, "scheduler"));

    /// <summary>
    /// KandinskyPriorPipeline.__call__: the rows are every prompt images_per_prompt times, then
    /// (with negative prompts) every negative the same way; guidance runs against <paramref name="empty"/> ("" —
    /// one row, repeated). With negatives, image_embeds and negative_image_embeds are the two halves of the
    /// result; without, negative_image_embeds is the zero-image embedding.
    /// </summary>
    public PriorOutput Run(PriorConditioning prompts, PriorConditioning? negatives, PriorConditioning empty, PriorOptions options)
    {
        options.Validate();
        var trace = options.Trace;
        var rowPrompts = Enumerable.Range(0, prompts.Rows).SelectMany(i => Enumerable.Repeat(i, options.ImagesPerPrompt)).ToArray();
        int n = rowPrompts.Length;
        using var promptCond = prompts.SelectRows(rowPrompts);
        using var negCond = negatives?.SelectRows(rowPrompts);
        using var cond = negCond == null ? promptCond.SelectRows(Enumerable.Range(0, n).ToArray()) : PriorConditioning.Concat(promptCond, negCond);
        using var uncond = empty.SelectRows(Enumerable.Repeat(0, cond.Rows).ToArray());
        var run = Denoise(cond, options.GuidanceScale > 1f ? uncond : null, options);
        using var all = run.Embeddings;
        using var first = all.Slice(0, 0, n);
        var image = first.Clone();
        Tensor negative;
        if (negCond != null)
        {
            using var second = all.Slice(0, n, 2 * n);
            negative = second.Clone();
        }
        else negative = ZeroImageEmbedding(n, trace);
        trace?.Invoke("prior.out.image_embeds", image);
        trace?.Invoke("prior.out.negative_image_embeds", negative);
        return new PriorOutput(run.Timesteps, run.Steps, image, negative, promptCond.TextEmbeds.Clone(), rowPrompts);
    }

    /// <summary>
    /// The prior's denoising loop (KandinskyPriorPipeline.__call__ steps 3–4): CFG batches ordered
    /// [unconditional, conditional], pred = uncond + g·(cond − uncond), UnCLIP steps with prev_timestep = the next
    /// timestep, then x·clip_std + clip_mean. <paramref name="uncond"/> is null without guidance (g ≤ 1).
    /// </summary>
    public PriorRun Denoise(PriorConditioning cond, PriorConditioning? uncond, PriorOptions options)
    {
        options.Validate();
        var (guidanceScale, latents, callbacks, trace) = (options.GuidanceScale, options.Latents, options.Callbacks, options.Trace);
        var noise = options.NoiseSource();
        bool cfg = guidanceScale > 1f;
        if (cfg && (uncond == null || uncond.Rows != cond.Rows))
            throw new ArgumentException($"Prior: guidance {guidanceScale} needs unconditional rows matching the {cond.Rows} conditional rows.");
        int rows = cond.Rows, dim = EmbeddingDim;
        var scheduler = CreateScheduler();
        scheduler.SetTimesteps(options.Steps);
        var timesteps = scheduler.Timesteps.ToArray();
        trace?.Invoke("prior.timesteps", StageTensors.IntTensor(timesteps));

        Tensor x;
        if (latents != null)
        {
            if (!latents.Shape.SequenceEqual([rows, dim]))
                throw new ArgumentException($"Prior: unexpected latents shape, got {latents.ShapeString}, expected [{rows}, {dim}].");
            x = F.Mul(latents, scheduler.InitNoiseSigma);
        }
        else
        {
            using var drawn = noise.Next("the prior's initial latents", rows, dim);
            x = F.Mul(drawn, scheduler.InitNoiseSigma);
        }

        using var textEmbeds = cfg ? F.Cat([uncond!.TextEmbeds, cond.TextEmbeds], 0) : cond.TextEmbeds.Alias();
        using var hidden = cfg ? F.Cat([uncond!.HiddenStates, cond.HiddenStates], 0) : cond.HiddenStates.Alias();
        var mask = cfg ? Rows.Concat(uncond!.AttentionMask, cond.AttentionMask) : cond.AttentionMask;   // [rows (×2), L]
        using var maskTrace = trace == null ? null : StageTensors.MaskTensor(mask);
        var records = new List<PriorStep>();
        try
        {
            for (int i = 0; i < timesteps.Length; i++)
            {
                callbacks?.CancellationToken.ThrowIfCancellationRequested();
                int t = timesteps[i];
                int? prev = i + 1 < timesteps.Length ? timesteps[i + 1] : null;
                using var input = cfg ? F.Cat([x, x], 0) : x.Alias();
                var name = $"prior.step.{i}";
                trace?.Invoke($"{name}.sample", x);
                trace?.Invoke($"{name}.model_input", input);
                trace?.Invoke($"{name}.timestep", StageTensors.IntTensor([t]));
                trace?.Invoke($"{name}.prev_timestep", StageTensors.IntTensor([prev ?? t - 1]));
                trace?.Invoke($"{name}.proj_embedding", textEmbeds);
                trace?.Invoke($"{name}.encoder_hidden_states", hidden);
                if (maskTrace != null) trace!($"{name}.attention_mask", maskTrace);
                using var predicted = Prior.Forward(input, [t], textEmbeds, hidden, mask);
                trace?.Invoke($"{name}.predicted_image_embedding", predicted);
                Tensor? predUncond = null, predCond;
                Tensor guided;
                if (cfg)
                {
                    var halves = predicted.Chunk(2, 0);
                    predUncond = halves[0].Clone();
                    predCond = halves[1].Clone();
                    foreach (var h in halves) h.Dispose();
                    using var diff = F.Sub(predCond, predUncond);
                    using var scaled = F.Mul(diff, guidanceScale);
                    guided = F.Add(predUncond, scaled);
                }
                else
                {
                    predCond = predicted.Clone();
                    guided = predicted.Clone();
                }
                trace?.Invoke($"{name}.guided_model_output", guided);
                using var stepNoise = scheduler.NeedsNoise(t) ? noise.Next($"prior step {i} (t = {t})", guided.ShapeArray()) : null;
                if (stepNoise != null) trace?.Invoke($"{name}.variance_noise", stepNoise);
                using var output = scheduler.Step(guided, t, x, stepNoise, prev);
                var next = output.PrevSample.Clone();
                trace?.Invoke($"{name}.prev_sample", next);
                StageTensors.RequireFinite(next, $"prior step {i} (t = {t})");
                var record = new PriorStep(i, t, x, predUncond, predCond, guided, output.PredOriginalSample.Clone(), next);
                records.Add(record);
                x = next;
                callbacks?.Report(record, timesteps.Length);
            }
            var embeddings = Prior.PostProcessLatents(x);
            StageTensors.RequireFinite(embeddings, "the prior's output");
            return new PriorRun(timesteps, records, embeddings);
        }
        catch
        {
            foreach (var r in records) r.Dispose();
            x.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        ImageEncoder?.Dispose();
        Prior.Dispose();
    }
}
