using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Parity;

/// <summary>
/// The parity harness behind <c>kandinsky-lab run-module</c>: builds the module a golden case names from its
/// model/ folder, feeds it the case's in.* tensors and collects every out.* (and trace.* when asked).
/// </summary>
public static class ModuleRunner
{
    /// <summary>The module kinds <see cref="Run"/> handles.</summary>
    public static IReadOnlyList<string> SupportedKinds { get; } =
    [
        "mclip", "clip_text", "clip_vision", "clip_image_processor", "prior",
        "scheduler_unclip", "scheduler_ddim", "scheduler_ddpm", "scheduler_dpmsolver_multistep", "img2img_add_noise",
        "unet", "movq_decode", "movq_encode",
        "pipeline_text2img", "pipeline_interpolate", "pipeline_img2img", "pipeline_inpaint",
    ];

    /// <summary>Runs the case in <paramref name="caseDir"/>; the caller disposes the outputs.</summary>
    public static ModuleOutputs Run(string caseDir, bool trace = false)
    {
        var spec = GoldenCaseSpec.Load(caseDir);
        using var io = SafetensorsFile.Open(spec.IoPath);
        var run = new CaseRun(spec, io, trace);
        try
        {
            switch (spec.Module)
            {
                case "mclip": RunMultilingualClip(run); break;
                case "clip_text": RunClipText(run); break;
                case "clip_vision": RunClipVision(run); break;
                case "clip_image_processor": RunClipImageProcessor(run); break;
                case "prior": RunPrior(run); break;
                case "scheduler_unclip":
                case "scheduler_ddim":
                case "scheduler_ddpm":
                case "scheduler_dpmsolver_multistep": RunSchedulerChain(run); break;
                case "img2img_add_noise": RunImg2ImgAddNoise(run); break;
                case "unet": RunUNet(run); break;
                case "movq_decode": RunMoVQDecode(run); break;
                case "movq_encode": RunMoVQEncode(run); break;
                case "pipeline_text2img": PipelineCases.RunText2Img(run); break;
                case "pipeline_interpolate": PipelineCases.RunInterpolate(run); break;
                case "pipeline_img2img": PipelineCases.RunImg2Img(run); break;
                case "pipeline_inpaint": PipelineCases.RunInpaint(run); break;
                default:
                    throw new NotSupportedException($"{spec.CaseJsonPath}: unknown module kind \"{spec.Module}\"; supported kinds: {string.Join(", ", SupportedKinds)}.");
            }
            return run.Outputs;
        }
        catch
        {
            run.Outputs.Dispose();
            throw;
        }
    }

    /// <summary>Runs the case and writes its outputs to <paramref name="outFile"/> (safetensors).</summary>
    public static void RunToFile(string caseDir, string outFile, bool trace = false)
    {
        using var outputs = Run(caseDir, trace);
        outputs.Save(outFile);
    }

    // ---- networks ------------------------------------------------------------------------------------

    static void RunMultilingualClip(CaseRun r)
    {
        using var model = MultilingualClip.Load(r.Spec.ModelDir);
        using var result = model.Forward(r.Ids("input_ids"), r.Ids("attention_mask"), r.Trace);
        r.Out("prompt_embeds", result.PromptEmbeds);
        r.Out("last_hidden_state", result.LastHiddenState);
    }

    static void RunClipText(CaseRun r)
    {
        using var model = ClipTextModelWithProjection.Load(r.Spec.ModelDir);
        var mask = r.Has("in.attention_mask") ? r.Ids("attention_mask") : null;
        using var result = model.Forward(r.Ids("input_ids"), mask, r.Trace);
        r.Out("text_embeds", result.TextEmbeds);
        r.Out("last_hidden_state", result.LastHiddenState);
    }

    static void RunClipVision(CaseRun r)
    {
        using var model = ClipVisionModelWithProjection.Load(r.Spec.ModelDir);
        using var pixels = r.Float("pixel_values");
        using var result = model.Forward(pixels, r.Trace);
        r.Out("image_embeds", result.ImageEmbeds);
        r.Out("last_hidden_state", result.LastHiddenState);
    }

    static void RunClipImageProcessor(CaseRun r)
    {
        var processor = ClipImageProcessor.Load(r.Spec.ModelDir);
        var image = r.Io.ReadUInt8("in.image");
        var shape = r.Shape("in.image");
        if (shape.Length != 3 || shape[2] != 3)
            throw new InvalidDataException($"{r.Spec.IoPath}: in.image has shape {ShapeUtil.Format(shape)}, expected [H, W, 3] uint8 RGB.");
        using var pixels = processor.Preprocess(image, shape[0], shape[1], out var steps);
        r.Out("pixel_values", pixels);
        if (r.Tracing)
        {
            r.Outputs.Set("trace.resized", ParityValue.Of(steps.Resized, steps.ResizedHeight, steps.ResizedWidth, 3));
            r.Outputs.Set("trace.cropped", ParityValue.Of(steps.Cropped, steps.CroppedHeight, steps.CroppedWidth, 3));
        }
    }

    static void RunPrior(CaseRun r)
    {
        using var prior = PriorTransformer.Load(r.Spec.ModelDir);
        using var hidden = r.Float("hidden_states");
        using var proj = r.Float("proj_embedding");
        using var ehs = r.Float("encoder_hidden_states");
        var mask = r.Has("in.attention_mask") ? r.Ids("attention_mask") : null;
        using var predicted = prior.Forward(hidden, r.Io.ReadInt64("in.timestep"), proj, ehs, mask, r.Trace);
        r.Out("predicted_image_embedding", predicted);
        if (r.Has("in.post_process_latents.input"))
        {
            using var input = r.Float("post_process_latents.input");
            using var post = prior.PostProcessLatents(input);
            r.Out("post_process_latents", post);
        }
    }

    static void RunUNet(CaseRun r)
    {
        using var unet = UNet2DConditionModel.Load(r.Spec.ModelDir);
        using var sample = r.Float("sample");
        using var ehs = r.Float("encoder_hidden_states");
        using var text = r.Float("added_cond_kwargs.text_embeds");
        using var image = r.Float("added_cond_kwargs.image_embeds");
        using var output = unet.Forward(sample, r.Io.ReadInt64("in.timestep"), ehs, text, image, r.Trace);
        r.Out("sample", output);
    }

    static void RunMoVQDecode(CaseRun r)
    {
        using var movq = VQModel.Load(r.Spec.ModelDir);
        using var latents = r.Float("latents");
        using var image = movq.Decode(latents, forceNotQuantize: true, r.Trace);
        r.Out("sample", image);
    }

    static void RunMoVQEncode(CaseRun r)
    {
        using var movq = VQModel.Load(r.Spec.ModelDir);
        using var image = r.Float("image");
        using var latents = movq.Encode(image, r.Trace);
        using var quantized = movq.Quantize(latents);
        using var decoded = movq.Decode(latents, forceNotQuantize: false);
        r.Out("latents", latents);
        r.Out("quantized", quantized.Quantized);
        r.Outputs.Set("out.indices", ParityValue.Of(quantized.Indices, quantized.Indices.Length));
        r.Out("decoded_quantized", decoded);
    }

    // ---- schedulers ----------------------------------------------------------------------------------

    /// <summary>set_timesteps(N) for every N of call.set_timesteps, then the step chain of call.step_chain.</summary>
    static void RunSchedulerChain(CaseRun r)
    {
        var scheduler = SchedulerFactory.Load(Path.Combine(r.Spec.ModelDir, "scheduler_config.json"));
        string expected = r.Spec.Module switch
        {
            "scheduler_unclip" => "UnCLIPScheduler",
            "scheduler_ddim" => "DDIMScheduler",
            "scheduler_dpmsolver_multistep" => "DPMSolverMultistepScheduler",
            _ => "DDPMScheduler",
        };
        if (scheduler.Config.ClassName != expected)
            throw new InvalidDataException($"{r.Spec.ModelDir}: scheduler_config.json is a {scheduler.Config.ClassName}, the case kind {r.Spec.Module} expects {expected}.");
        if (r.Tracing) r.Outputs.Set("trace.alphas_cumprod", ParityValue.Of(Tensor.FromArray(scheduler.Schedule.AlphasCumprod, scheduler.Schedule.AlphasCumprod.Length)));

        foreach (int n in r.Spec.CallIntArray("set_timesteps"))
        {
            scheduler.SetTimesteps(n);
            r.Outputs.Set($"out.timesteps.{n}", ParityValue.Of(scheduler.Timesteps.Select(t => (long)t).ToArray(), scheduler.Timesteps.Count));
            if (scheduler is DpmSolverMultistepScheduler dpm)
                r.Outputs.Set($"out.sigmas.{n}", ParityValue.Of(Tensor.FromArray(dpm.Sigmas.ToArray(), dpm.Sigmas.Count)));
        }

        scheduler.SetTimesteps(r.Spec.CallInt("step_chain", "num_inference_steps"));
        var timesteps = scheduler.Timesteps;
        var x = r.Float("sample");
        try
        {
            for (int i = 0; i < timesteps.Count; i++)
            {
                int t = timesteps[i];
                int? prev = scheduler is UnClipScheduler && i + 1 < timesteps.Count ? timesteps[i + 1] : null;
                using var modelOutput = r.Float($"model_output.{i}");
                using var noise = scheduler.NeedsNoise(t) ? r.Float($"noise.{i}") : null;
                var step = scheduler.Step(modelOutput, t, x, noise, prev);
                r.Out($"pred_original_sample.{i}", step.PredOriginalSample);
                r.Out($"prev_sample.{i}", step.PrevSample);
                step.PredOriginalSample.Dispose();
                x.Dispose();
                x = step.PrevSample;
            }
        }
        finally
        {
            x.Dispose();
        }
    }

    /// <summary>img2img start: remaining timesteps for the strength, latent_timestep per batch item, the pipeline's add_noise.</summary>
    static void RunImg2ImgAddNoise(CaseRun r)
    {
        var scheduler = SchedulerFactory.Load(Path.Combine(r.Spec.ModelDir, "scheduler_config.json"));
        int steps = r.Spec.CallInt("num_inference_steps");
        double strength = r.Spec.CallDouble("strength");
        scheduler.SetTimesteps(steps);
        var remaining = Img2ImgStart.RemainingTimesteps(scheduler, steps, strength);
        r.Outputs.Set("out.timesteps", ParityValue.Of(remaining.Select(t => (long)t).ToArray(), remaining.Length));

        using var latents = r.Float("latents");
        using var noise = r.Float("noise");
        int batch = latents.Size(0);
        int latentTimestep = Img2ImgStart.LatentTimestep(scheduler.Config.NumTrainTimesteps, strength);
        var perItem = Enumerable.Repeat(latentTimestep, batch).ToArray();
        r.Outputs.Set("out.latent_timestep", ParityValue.Of(perItem.Select(t => (long)t).ToArray(), batch));
        using var noisy = Img2ImgStart.AddNoise(latents, noise, perItem);
        r.Out("noisy_latents", noisy);
    }

    // ---- plumbing ------------------------------------------------------------------------------------

    /// <summary>The state of one case run: its spec, inputs, collected outputs and trace sink.</summary>
    internal sealed class CaseRun(GoldenCaseSpec spec, SafetensorsFile io, bool tracing)
    {
        public GoldenCaseSpec Spec { get; } = spec;
        public SafetensorsFile Io { get; } = io;
        public bool Tracing { get; } = tracing;
        public ModuleOutputs Outputs { get; } = new();

        /// <summary>Records trace.&lt;name&gt; copies when tracing, else null (modules then skip the copies).</summary>
        public Action<string, Tensor>? Trace => Tracing ? (name, t) => Outputs.SetCopy("trace." + name, t) : null;

        public bool Has(string name) => Io.Contains(name);

        public int[] Shape(string name) => Io.Info(name).Shape.Select(d => checked((int)d)).ToArray();

        /// <summary>in.&lt;name&gt; as float32 (integer masks converted too).</summary>
        public Tensor Float(string name) => Io.GetTensorAsFloat32("in." + name);

        /// <summary>in.&lt;name&gt; (int64 [B, L]) as a 2-d array.</summary>
        public long[,] Ids(string name)
        {
            var shape = Shape("in." + name);
            if (shape.Length != 2) throw new InvalidDataException($"{Spec.IoPath}: in.{name} has shape {ShapeUtil.Format(shape)}, expected [B, L].");
            var flat = Io.ReadInt64("in." + name);
            var ids = new long[shape[0], shape[1]];
            Buffer.BlockCopy(flat, 0, ids, 0, flat.Length * sizeof(long));
            return ids;
        }

        /// <summary>Stores a copy of <paramref name="t"/> as out.&lt;name&gt;.</summary>
        public void Out(string name, Tensor t) => Outputs.SetCopy("out." + name, t);
    }
}
