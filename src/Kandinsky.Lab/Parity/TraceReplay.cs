using System.Text.Json;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Parity;

/// <summary>What a reference trace (e.g. ../shared/micro/traces/*.json) describes: the prompt and the pipelines' settings.</summary>
public sealed record TraceSpec(string Name, string Prompt, string? PriorNegativePrompt, string? DecoderNegativePrompt, int PriorSteps, float PriorGuidance,
    int DecoderSteps, float DecoderGuidance, int Height, int Width, string TensorsPath)
{
    public static TraceSpec Load(string jsonPath)
    {
        JsonElement root;
        try { root = ConfigFile.ParseDocument(File.ReadAllText(jsonPath), jsonPath).RootElement; }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{jsonPath}: cannot read the trace description: {e.Message}");
        }
        try
        {
            var prior = root.GetProperty("prior_pipeline");
            var decoder = root.GetProperty("decoder_pipeline");
            var tensors = Path.ChangeExtension(jsonPath, ".safetensors");
            if (!File.Exists(tensors)) throw new FileNotFoundException($"{jsonPath}: the trace's tensors {tensors} are missing.", tensors);
            return new TraceSpec(root.GetProperty("name").GetString()!, root.GetProperty("prompt").GetString()!,
                NullableString(prior, "negative_prompt"), NullableString(decoder, "negative_prompt"),
                prior.GetProperty("num_inference_steps").GetInt32(), (float)prior.GetProperty("guidance_scale").GetDouble(),
                decoder.GetProperty("num_inference_steps").GetInt32(), (float)decoder.GetProperty("guidance_scale").GetDouble(),
                decoder.GetProperty("height").GetInt32(), decoder.GetProperty("width").GetInt32(), tensors);
        }
        catch (KeyNotFoundException e)
        {
            throw new InvalidDataException($"{jsonPath}: a required field is missing ({e.Message}).");
        }
    }

    static string? NullableString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>
/// Replays a reference run on a model: the prompt goes through the lab's own tokenizers and encoders, the recorded
/// initial latents and prior step noise are used, and every tensor the lab computes is recorded under the trace's
/// names (integer tensors as I64, as in the reference file) — <c>kandinsky-lab run-trace</c>. What the replay feeds
/// in (<see cref="IsFedIn"/>) is not recorded: compared with the reference it would only meet itself.
/// </summary>
public static class TraceReplay
{
    /// <summary>Whether the replay takes <paramref name="name"/> from the reference trace: the in.* latents and the prior's step noise.</summary>
    public static bool IsFedIn(string name) =>
        name.StartsWith("in.", StringComparison.Ordinal) || (name.StartsWith("prior.step.", StringComparison.Ordinal) && name.EndsWith(".variance_noise", StringComparison.Ordinal));

    public static ModuleOutputs Run(string traceJsonPath, string modelDir)
    {
        var spec = TraceSpec.Load(traceJsonPath);
        using var reference = SafetensorsFile.Open(spec.TensorsPath);
        using var lab = KandinskyLab.Load(modelDir);
        var outputs = new ModuleOutputs();
        try
        {
            void Record(string name, Tensor t)
            {
                if (IsFedIn(name)) return;
                bool integer = reference.Contains(name) && reference.Info(name).DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16);
                outputs.Set(name, integer ? ParityValue.Of(t.ToArray().Select(v => (long)v).ToArray(), t.ShapeArray()) : ParityValue.Of(t.Clone()));
            }

            var negatives = spec.PriorNegativePrompt == null ? null : new[] { spec.PriorNegativePrompt };
            using var text = lab.EncodeText([spec.Prompt], negatives);
            RecordText(text, outputs);

            var stepNoise = new List<Tensor>();
            for (int i = 0; reference.Contains($"prior.step.{i}.sample"); i++)
                if (reference.Contains($"prior.step.{i}.variance_noise")) stepNoise.Add(reference.GetTensorAsFloat32($"prior.step.{i}.variance_noise"));
            using var priorLatents = reference.GetTensorAsFloat32("in.prior_latents");
            using var prior = lab.Prior(text, new PriorOptions
            {
                Steps = spec.PriorSteps, GuidanceScale = spec.PriorGuidance, Noise = new RecordedNoise(stepNoise, spec.TensorsPath), Latents = priorLatents, Trace = Record,
            });
            foreach (var t in stepNoise) t.Dispose();

            using var decoderLatents = reference.GetTensorAsFloat32("in.decoder_latents");
            using var decoder = lab.Decode(prior, text, new DecodeOptions
            {
                Steps = spec.DecoderSteps, GuidanceScale = spec.DecoderGuidance, Width = spec.Width, Height = spec.Height,
                Noise = new RecordedNoise([], spec.TensorsPath), Latents = decoderLatents, Trace = Record,
            });
            return outputs;
        }
        catch
        {
            outputs.Dispose();
            throw;
        }
    }

    /// <summary>Token ids and encoder outputs under the trace's names: 0 = the prompt, 1 = the unconditional "" (or negative) row.</summary>
    static void RecordText(TextEncoding text, ModuleOutputs outputs)
    {
        void Ids(string name, IReadOnlyList<int> ids) => outputs.Set(name, ParityValue.Of(ids.Select(i => (long)i).ToArray(), 1, ids.Count));

        var clipPrompt = text.ClipTokens![0];
        var clipUncond = text.ClipNegativeTokens?[0] ?? text.ClipEmptyTokens!;
        Ids("prior.tokenizer.prompt.input_ids", clipPrompt.InputIds);
        Ids("prior.tokenizer.prompt.attention_mask", clipPrompt.AttentionMask);
        Ids("prior.tokenizer.negative.input_ids", clipUncond.InputIds);
        Ids("prior.tokenizer.negative.attention_mask", clipUncond.AttentionMask);
        Ids("prior.text_encoder.0.input_ids", clipPrompt.InputIds);
        outputs.SetCopy("prior.text_encoder.0.text_embeds", text.Clip.TextEmbeds);
        outputs.SetCopy("prior.text_encoder.0.last_hidden_state", text.Clip.HiddenStates);
        var uncond = text.ClipNegative ?? text.ClipEmpty;
        Ids("prior.text_encoder.1.input_ids", clipUncond.InputIds);
        outputs.SetCopy("prior.text_encoder.1.text_embeds", uncond.TextEmbeds);
        outputs.SetCopy("prior.text_encoder.1.last_hidden_state", uncond.HiddenStates);

        var xlmrPrompt = text.XlmrTokens![0];
        var xlmrNegative = text.XlmrNegativeTokens![0];
        Ids("decoder.tokenizer.prompt.input_ids", xlmrPrompt.InputIds);
        Ids("decoder.tokenizer.prompt.attention_mask", xlmrPrompt.AttentionMask);
        Ids("decoder.tokenizer.negative.input_ids", xlmrNegative.InputIds);
        Ids("decoder.tokenizer.negative.attention_mask", xlmrNegative.AttentionMask);
        foreach (var (k, tokens, cond) in new[] { ("0", xlmrPrompt, text.Mclip), ("1", xlmrNegative, text.MclipNegative) })
        {
            Ids($"decoder.text_encoder.{k}.input_ids", tokens.InputIds);
            Ids($"decoder.text_encoder.{k}.attention_mask", tokens.AttentionMask);
            outputs.SetCopy($"decoder.text_encoder.{k}.prompt_embeds", cond.PromptEmbeds);
            outputs.SetCopy($"decoder.text_encoder.{k}.hidden_states", cond.HiddenStates);
        }
    }
}
