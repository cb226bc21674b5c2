using System.Text.Json;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Parity;

/// <summary>
/// The whole-pipeline golden cases (pipeline_text2img, _interpolate, _img2img, _inpaint) run through the lab's own
/// pipeline code: token ids and noise come from the case instead of the tokenizers and a generator.
/// </summary>
internal static class PipelineCases
{
    /// <summary>
    /// Our pipeline traces use the Kandinsky-Micro trace names; the golden pipeline cases name a few of the same
    /// tensors differently (and "latents" there is the output of a step). Only the tensors both record are kept.
    /// </summary>
    static Action<string, Tensor>? GoldenTrace(ModuleRunner.CaseRun r)
    {
        if (r.Trace is not { } sink) return null;
        var renames = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["predicted_image_embedding"] = "prior_output", ["guided_model_output"] = "model_output", ["prev_sample"] = "latents",
            ["unet_sample"] = "unet_input", ["unet_out"] = "unet_output", ["prev_latents"] = "latents",
        };
        return (name, t) =>
        {
            var parts = name.Split('.');
            if (parts.Length == 4 && parts[1] == "step" && renames.TryGetValue(parts[3], out var golden))
                sink($"{parts[0]}.step.{parts[2]}.{golden}", t);
            else if (name is "decoder.prepared_image" or "decoder.encoded_latents" or "decoder.noisy_latents")
                sink(name, t);
        };
    }

    public static void RunText2Img(ModuleRunner.CaseRun r)
    {
        var call = r.Spec.Call;
        var prompts = Strings(call.GetProperty("prompt"));
        var negatives = call.TryGetProperty("negative_prompt", out var n) && n.ValueKind != JsonValueKind.Null ? Strings(n, prompts.Count) : null;
        var priorCall = call.GetProperty("prior_pipeline_call");
        var decoderCall = call.GetProperty("decoder_pipeline_call");
        var (priorNoise, decoderNoise) = NoiseSources(r, priorCall, decoderCall);

        using var prior = PriorPipeline.Load(Path.Combine(r.Spec.ModelDir, "prior_pipeline"));
        using var decoder = DecoderPipeline.Load(Path.Combine(r.Spec.ModelDir, "decoder_pipeline"));
        var tokens = new CaseTokens(r);
        using var clip = prior.Encode(tokens.Clip(prompts));
        using var clipNeg = negatives == null ? null : prior.Encode(tokens.Clip(negatives));
        using var clipEmpty = prior.Encode(tokens.Clip([""]));
        using var priorLatents = r.Has("in.prior_latents") ? r.Float("prior_latents") : null;
        var priorOut = prior.Run(clip, clipNeg, clipEmpty, new PriorOptions
        {
            Steps = priorCall.GetProperty("num_inference_steps").GetInt32(), GuidanceScale = (float)priorCall.GetProperty("guidance_scale").GetDouble(),
            Noise = priorNoise, Latents = priorLatents, Trace = GoldenTrace(r),
        });
        foreach (var s in priorOut.Steps) s.Dispose();
        using var imageEmbeds = priorOut.ImageEmbeds;
        using var negativeEmbeds = priorOut.NegativeImageEmbeds;
        priorOut.PromptTextEmbeds.Dispose();
        r.Out("image_embeds", imageEmbeds);
        r.Out("negative_image_embeds", negativeEmbeds);

        using var mclip = decoder.Encode(tokens.Xlmr(prompts));
        using var mclipNeg = decoder.Encode(tokens.Xlmr(negatives ?? prompts.Select(_ => "").ToList()));
        using var decoderLatents = r.Has("in.decoder_latents") ? r.Float("decoder_latents") : null;
        var output = decoder.Text2Img(new DecoderInputs(mclip, mclipNeg, imageEmbeds, negativeEmbeds), new DecodeOptions
        {
            Steps = decoderCall.GetProperty("num_inference_steps").GetInt32(), GuidanceScale = (float)decoderCall.GetProperty("guidance_scale").GetDouble(),
            Height = decoderCall.GetProperty("height").GetInt32(), Width = decoderCall.GetProperty("width").GetInt32(),
            Noise = decoderNoise, Latents = decoderLatents, Trace = GoldenTrace(r),
        });
        Images(r, output);
    }

    public static void RunInterpolate(ModuleRunner.CaseRun r)
    {
        var call = r.Spec.Call;
        using var prior = PriorPipeline.Load(Path.Combine(r.Spec.ModelDir, "prior_pipeline"));
        var tokens = new CaseTokens(r);
        var weights = call.GetProperty("weights").EnumerateArray().Select(w => (float)w.GetDouble()).ToArray();
        int steps = call.GetProperty("num_inference_steps").GetInt32();
        float g = (float)call.GetProperty("guidance_scale").GetDouble();
        var noise = new RecordedNoise(Sequence(r, "prior_step_noise"), r.Spec.IoPath);
        using var latents = r.Float("prior_latents");
        using var empty = prior.Encode(tokens.Clip([""]));
        // The case's step traces are those of the first prior run: later runs reuse the names and are not recorded.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var golden = GoldenTrace(r);
        Action<string, Tensor>? firstRunTrace = golden == null ? null : (name, t) => { if (seen.Add(name)) golden(name, t); };
        // interpolate's sum(weight_i · embedding_i) through the API users call
        var parts = new List<(ImageEmbedding Embedding, float Weight)>();
        try
        {
            int i = 0;
            foreach (var cond in call.GetProperty("images_and_prompts").EnumerateArray())
            {
                var text = cond.GetString()!;
                Tensor embedding;
                if (text.StartsWith("PIL image", StringComparison.Ordinal))
                {
                    var shape = r.Shape("in.image");
                    embedding = prior.EmbedImage(r.Io.ReadUInt8("in.image"), shape[0], shape[1]);
                }
                else embedding = PriorEmbedding(prior, tokens, text, empty, steps, g, noise, latents, firstRunTrace);
                parts.Add((new ImageEmbedding(embedding, [text]), weights[i++]));
            }
            using var mixed = ImageEmbedding.Mix(parts);
            r.Out("image_embeds", mixed.Tensor);
        }
        finally
        {
            foreach (var (embedding, _) in parts) embedding.Dispose();
        }
        // The pipeline's final run on "" (no negative prompt) returns the zero-image embedding as its negative.
        using var clip = prior.Encode(tokens.Clip([""]));
        var zero = prior.Run(clip, null, empty, new PriorOptions { Steps = steps, GuidanceScale = g, Noise = noise, Latents = latents });
        foreach (var s in zero.Steps) s.Dispose();
        zero.ImageEmbeds.Dispose();
        zero.PromptTextEmbeds.Dispose();
        using (zero.NegativeImageEmbeds) r.Out("negative_image_embeds", zero.NegativeImageEmbeds);
    }

    static Tensor PriorEmbedding(PriorPipeline prior, CaseTokens tokens, string text, PriorConditioning empty, int steps, float g, INoiseSource noise,
        Tensor latents, Action<string, Tensor>? trace)
    {
        using var clip = prior.Encode(tokens.Clip([text]));
        var output = prior.Run(clip, null, empty, new PriorOptions { Steps = steps, GuidanceScale = g, Noise = noise, Latents = latents, Trace = trace });
        foreach (var s in output.Steps) s.Dispose();
        output.NegativeImageEmbeds.Dispose();
        output.PromptTextEmbeds.Dispose();
        return output.ImageEmbeds;
    }

    public static void RunImg2Img(ModuleRunner.CaseRun r)
    {
        using var c = new ImageCase(r);
        var output = c.Decoder.Img2Img(c.Inputs, c.Prepared, (float)c.Call.GetProperty("strength").GetDouble(),
            c.Options(new RecordedNoise([r.Float("noise")], r.Spec.IoPath), null, GoldenTrace(r)));
        Images(r, output);
    }

    public static void RunInpaint(ModuleRunner.CaseRun r)
    {
        using var c = new ImageCase(r);
        using var mask = r.Float("mask_image");
        using var latents = r.Float("latents");
        var output = c.Decoder.Inpaint(c.Inputs, c.Prepared, mask.ToArray(), c.Options(new RecordedNoise([], r.Spec.IoPath), latents, GoldenTrace(r)));
        Images(r, output);
    }

    /// <summary>What the img2img and inpaint cases share: the decoder, the encoded texts, the given embeddings and the prepared image.</summary>
    sealed class ImageCase : IDisposable
    {
        public ImageCase(ModuleRunner.CaseRun r)
        {
            Call = r.Spec.Call;
            Decoder = DecoderPipeline.Load(Path.Combine(r.Spec.ModelDir, "decoder_pipeline"));
            var tokens = new CaseTokens(r);
            var prompts = Strings(Call.GetProperty("prompt"));
            Text = Decoder.Encode(tokens.Xlmr(prompts));
            Negative = Decoder.Encode(tokens.Xlmr(Strings(Call.GetProperty("negative_prompt"), prompts.Count)));
            ImageEmbeds = r.Float("image_embeds");
            NegativeImageEmbeds = r.Float("negative_image_embeds");
            Prepared = ImagePreparation.PrepareImage(CaseImage(r), Call.GetProperty("height").GetInt32(), Call.GetProperty("width").GetInt32());
        }

        public JsonElement Call { get; }
        public DecoderPipeline Decoder { get; }
        public DecoderConditioning Text { get; }
        public DecoderConditioning Negative { get; }
        public Tensor ImageEmbeds { get; }
        public Tensor NegativeImageEmbeds { get; }
        public Tensor Prepared { get; }
        public DecoderInputs Inputs => new(Text, Negative, ImageEmbeds, NegativeImageEmbeds);

        /// <summary>The case's steps and guidance with its recorded noise (img2img and inpainting run DDIM, as their pipelines).</summary>
        public DecodeOptions Options(INoiseSource noise, Tensor? latents, Action<string, Tensor>? trace) => new()
        {
            Steps = Call.GetProperty("num_inference_steps").GetInt32(), GuidanceScale = (float)Call.GetProperty("guidance_scale").GetDouble(),
            Noise = noise, Latents = latents, Trace = trace,
        };

        public void Dispose()
        {
            Text.Dispose();
            Negative.Dispose();
            ImageEmbeds.Dispose();
            NegativeImageEmbeds.Dispose();
            Prepared.Dispose();
            Decoder.Dispose();
        }
    }

    static void Images(ModuleRunner.CaseRun r, DecoderOutput output)
    {
        foreach (var s in output.Steps) s.Dispose();
        using var raw = output.RawImages;
        r.Out("images", raw);
        if (r.Has("out.images_np"))
        {
            using var unit = ImagePreparation.ToUnitNhwc(raw);
            r.Out("images_np", unit);
        }
    }

    static Image CaseImage(ModuleRunner.CaseRun r)
    {
        var shape = r.Shape("in.image");
        return Image.FromBytes(shape[1], shape[0], shape[2], r.Io.ReadUInt8("in.image"));
    }

    /// <summary>Recorded draws in.&lt;prefix&gt;.0, .1, … in order, or seeded generators when the case says so.</summary>
    static (INoiseSource Prior, INoiseSource Decoder) NoiseSources(ModuleRunner.CaseRun r, JsonElement priorCall, JsonElement decoderCall)
    {
        if (priorCall.TryGetProperty("generator", out var pg) && decoderCall.TryGetProperty("generator", out var dg))
            return (new GeneratorNoise(ManualSeed(pg.GetString()!)), new GeneratorNoise(ManualSeed(dg.GetString()!)));
        return (new RecordedNoise(Sequence(r, "prior_step_noise"), r.Spec.IoPath), new RecordedNoise(Sequence(r, "decoder_step_noise"), r.Spec.IoPath));
    }

    /// <summary>The seed of a "torch.Generator('cpu').manual_seed(42)" description.</summary>
    static ulong ManualSeed(string text)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text, @"manual_seed\((\d+)\)");
        return m.Success ? ulong.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"Cannot read a seed from the generator description \"{text}\".");
    }

    static List<Tensor> Sequence(ModuleRunner.CaseRun r, string prefix)
    {
        var list = new List<Tensor>();
        for (int i = 0; r.Has($"in.{prefix}.{i}"); i++) list.Add(r.Float($"{prefix}.{i}"));
        return list;
    }

    static List<string> Strings(JsonElement e, int repeat = 1) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetString()!).ToList() : Enumerable.Repeat(e.GetString()!, repeat).ToList();

    /// <summary>The case's token ids per string (call.token_ids), padded as the case says.</summary>
    sealed class CaseTokens
    {
        readonly ModuleRunner.CaseRun _r;
        readonly JsonElement _ids;

        public CaseTokens(ModuleRunner.CaseRun r)
        {
            _r = r;
            _ids = r.Spec.Call.GetProperty("token_ids");
        }

        public TokenBatch Clip(IReadOnlyList<string> texts) => Batch(texts, "clip", _ids.GetProperty("clip_max_length").GetInt32(), _ids.GetProperty("clip_pad_id").GetInt64());

        public TokenBatch Xlmr(IReadOnlyList<string> texts) => Batch(texts, "xlm", _ids.GetProperty("xlmr_max_length").GetInt32(), _ids.GetProperty("xlmr_pad_id").GetInt64());

        TokenBatch Batch(IReadOnlyList<string> texts, string tokenizerPrefix, int length, long padId)
        {
            var map = _ids.EnumerateObject().First(p => p.Name.StartsWith(tokenizerPrefix, StringComparison.Ordinal) && p.Value.ValueKind == JsonValueKind.Object).Value;
            var rows = texts.Select(t => map.TryGetProperty(t, out var name)
                ? _r.Io.ReadInt64(name.GetString()!)
                : throw new InvalidDataException($"{_r.Spec.CaseJsonPath}: no {tokenizerPrefix} token ids for \"{t}\".")).ToList();
            return TokenBatch.Pad(rows, length, padId);
        }
    }
}
