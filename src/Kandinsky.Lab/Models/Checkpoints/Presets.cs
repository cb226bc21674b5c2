using System.Text.Json;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Checkpoints;

/// <summary>
/// One sub-folder of a pipeline folder: a config file and, for networks, a weight file whose parameter list is
/// built from the network class itself (<see cref="ParameterSpec"/>).
/// </summary>
public sealed record ComponentPreset(string Folder, string ConfigFileName, JsonObject Config, string? WeightsFileName,
    Func<IReadOnlyList<WeightRequest>>? Spec)
{
    /// <summary>The parameter list of this component's network (empty for schedulers and processors).</summary>
    public IReadOnlyList<WeightRequest> Parameters() => Spec?.Invoke() ?? [];
}

/// <summary>A diffusers pipeline folder (model_index.json + components), e.g. the prior or the decoder repository.</summary>
public sealed record PipelinePreset(string Folder, JsonObject ModelIndex, IReadOnlyList<ComponentPreset> Components);

/// <summary>A whole Kandinsky 2.1 checkpoint: the prior and decoder pipeline folders.</summary>
public sealed record CheckpointPreset(string Name, string Description, IReadOnlyList<PipelinePreset> Pipelines);

/// <summary>The typed configs of every component of a Kandinsky 2.1 checkpoint.</summary>
public sealed record Kandinsky21Configs(ClipTextConfig ClipText, ClipVisionConfig ClipVision, PriorTransformerConfig Prior,
    ClipImageProcessorConfig ImageProcessor, UNet2DConditionConfig UNet, VQModelConfig Movq, MultilingualClipConfig Mclip)
{
    /// <summary>The published sizes (kandinsky-community/kandinsky-2-1-prior and kandinsky-community/kandinsky-2-1).</summary>
    public static Kandinsky21Configs Published => new(ClipTextConfig.Kandinsky21, ClipVisionConfig.Kandinsky21, PriorTransformerConfig.Kandinsky21,
        ClipImageProcessorConfig.Kandinsky21, UNet2DConditionConfig.Kandinsky21, VQModelConfig.Kandinsky21, MultilingualClipConfig.Kandinsky21);
}

/// <summary>
/// The configurations of the published Kandinsky 2.1 components and a tiny variant with the same structure, for
/// random-weight checkpoints of the true layout and size; each is a typed config record (the published one, or
/// derived from it with <c>with</c>). Tokenizer files are not part of a preset (model_index lists the tokenizers as
/// [null, null], as in the golden pipeline cases).
/// </summary>
public static class Presets
{
    public static IReadOnlyList<string> Names => ["kandinsky-2-1", "tiny"];

    public static CheckpointPreset ByName(string name) => name switch
    {
        "kandinsky-2-1" => Kandinsky21,
        "tiny" => Tiny,
        _ => throw new ArgumentException($"Unknown checkpoint preset \"{name}\"; known presets: {string.Join(", ", Names)}."),
    };

    /// <summary>The published Kandinsky 2.1 (≈3.3 B parameters: prior 1.0 B, CLIP ViT-L/14 text 0.12 B and vision 0.30 B, UNet 1.22 B, M-CLIP 0.56 B, MoVQ 0.07 B).</summary>
    public static CheckpointPreset Kandinsky21 => Build("kandinsky-2-1", "Kandinsky 2.1 at its published size", Kandinsky21Configs.Published);

    /// <summary>A few-megabyte model with every Kandinsky 2.1 block type, for tests.</summary>
    public static CheckpointPreset Tiny
    {
        get
        {
            var k = Kandinsky21Configs.Published;
            var tiny = new Kandinsky21Configs(
                k.ClipText with { HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 2, NumHiddenLayers = 2, ProjectionDim = 32, VocabSize = 1000 },
                k.ClipVision with { HiddenSize = 32, IntermediateSize = 64, NumAttentionHeads = 2, NumHiddenLayers = 2, ProjectionDim = 32, ImageSize = 32, PatchSize = 8 },
                k.Prior with { AttentionHeadDim = 16, NumAttentionHeads = 2, NumLayers = 2, EmbeddingDim = 32 },
                k.ImageProcessor with
                {
                    CropSize = JsonSerializer.SerializeToElement(new { height = 32, width = 32 }),
                    Size = JsonSerializer.SerializeToElement(new { shortest_edge = 32 }),
                },
                k.UNet with
                {
                    AttentionHeadDim = [16], BlockOutChannels = [32, 64], CrossAttentionDim = 32, EncoderHidDim = 32, LayersPerBlock = 1, NormNumGroups = 8,
                    DownBlockTypes = [UNet2DConditionConfig.DownResnet, UNet2DConditionConfig.DownCrossAttn],
                    UpBlockTypes = [UNet2DConditionConfig.UpCrossAttn, UNet2DConditionConfig.UpResnet], SampleSize = 8,
                },
                k.Movq with
                {
                    BlockOutChannels = [32, 32], LayersPerBlock = 1, NormNumGroups = 8, NumVqEmbeddings = 64, SampleSize = 16,
                    DownBlockTypes = [VQModelConfig.DownEncoder, VQModelConfig.AttnDownEncoder], UpBlockTypes = [VQModelConfig.AttnUpDecoder, VQModelConfig.UpDecoder],
                },
                k.Mclip with { HiddenSize = 32, TransformerDimensions = 32, IntermediateSize = 64, NumAttentionHeads = 2, NumHiddenLayers = 2, NumDims = 32, VocabSize = 1000 });
            return Build("tiny", "Kandinsky 2.1 structure at test size", tiny);
        }
    }

    /// <summary>The prior's UnCLIP scheduler (kandinsky-2-1-prior, scheduler/scheduler_config.json).</summary>
    static SchedulerConfig UnClipScheduler => new()
    {
        ClassName = "UnCLIPScheduler", BetaSchedule = "squaredcos_cap_v2", ClipSample = true, ClipSampleRange = 10.0, NumTrainTimesteps = 1000,
        PredictionType = "sample", VarianceType = "fixed_small_log",
    };

    /// <summary>The decoder's DDIM scheduler (kandinsky-2-1, scheduler/scheduler_config.json).</summary>
    static SchedulerConfig DdimScheduler => new()
    {
        ClassName = "DDIMScheduler", BetaEnd = 0.012, BetaSchedule = "linear", BetaStart = 0.00085, ClipSample = false, ClipSampleRange = 1.0,
        DynamicThresholdingRatio = 0.995, NumTrainTimesteps = 1000, PredictionType = "epsilon", RescaleBetasZeroSnr = false, SampleMaxValue = 1.0,
        SetAlphaToOne = false, StepsOffset = 1, Thresholding = false, TimestepSpacing = "leading", TrainedBetas = null,
    };

    /// <summary>The DDPM scheduler shipped beside it (kandinsky-2-1, ddpm_scheduler/scheduler_config.json).</summary>
    static SchedulerConfig DdpmScheduler => DdimScheduler with
    {
        ClassName = "DDPMScheduler", SampleMaxValue = 2.0, SetAlphaToOne = true, StepsOffset = 0, Thresholding = true, VarianceType = "learned_range",
    };

    static CheckpointPreset Build(string name, string description, Kandinsky21Configs c)
    {
        const string scheduler = "scheduler_config.json", config = ComponentLoader.ConfigFileName;
        var priorPipeline = new PipelinePreset("prior", Parse(PriorModelIndexJson),
        [
            new("prior", config, Json(c.Prior, Diffusers("PriorTransformer")), PriorTransformer.WeightsFileName,
                () => ParameterSpec.Of("prior", w => new PriorTransformer(c.Prior, w))),
            new("text_encoder", config, Json(c.ClipText, Transformers("CLIPTextModelWithProjection", "clip_text_model")), ClipTextModelWithProjection.WeightsFileName,
                () => ParameterSpec.Of("text_encoder", w => new ClipTextModelWithProjection(c.ClipText, w))),
            new("image_encoder", config, Json(c.ClipVision, Transformers("CLIPVisionModelWithProjection", "clip_vision_model")), ClipVisionModelWithProjection.WeightsFileName,
                () => ParameterSpec.Of("image_encoder", w => new ClipVisionModelWithProjection(c.ClipVision, w))),
            new("image_processor", ClipImageProcessor.ConfigFileName, Json(c.ImageProcessor, [("image_processor_type", "CLIPImageProcessor")]), null, null),
            new("scheduler", scheduler, Json(UnClipScheduler, Diffusers(null)), null, null),
        ]);
        var decoderPipeline = new PipelinePreset("decoder", Parse(DecoderModelIndexJson),
        [
            new("unet", config, Json(c.UNet, []), UNet2DConditionModel.WeightsFileName, () => ParameterSpec.Of("unet", w => new UNet2DConditionModel(c.UNet, w))),
            new("movq", config, Json(c.Movq, []), VQModel.WeightsFileName, () => ParameterSpec.Of("movq", w => new VQModel(c.Movq, w))),
            new("text_encoder", config, Json(c.Mclip, Transformers("MultilingualCLIP", "M-CLIP")), MultilingualClip.WeightsFileName, () => MClipSpec(c.Mclip)),
            new("scheduler", scheduler, Json(DdimScheduler, Diffusers(null)), null, null),
            new("ddpm_scheduler", scheduler, Json(DdpmScheduler, Diffusers(null)), null, null),
        ]);
        return new CheckpointPreset(name, description, [priorPipeline, decoderPipeline]);
    }

    /// <summary>MultilingualCLIP's parameters plus the XLM-R pooler, which the checkpoint stores but the network never uses.</summary>
    static IReadOnlyList<WeightRequest> MClipSpec(MultilingualClipConfig config)
    {
        var spec = ParameterSpec.Of("text_encoder", w => new MultilingualClip(config, w)).ToList();
        spec.Add(new("transformer.pooler.dense.weight", [config.HiddenSize, config.HiddenSize]));
        spec.Add(new("transformer.pooler.dense.bias", [config.HiddenSize]));
        return spec;
    }

    /// <summary>The keys diffusers writes first in a config.json it saves (the class name, when the record has none).</summary>
    static (string Key, JsonNode? Value)[] Diffusers(string? className) => className == null
        ? [("_diffusers_version", "0.30.3")]
        : [("_class_name", className), ("_diffusers_version", "0.30.3")];

    /// <summary>The identity keys transformers writes in a config.json (the dtype is rewritten to the weights' own).</summary>
    static (string Key, JsonNode? Value)[] Transformers(string architecture, string modelType) =>
        [("architectures", new JsonArray(architecture)), ("model_type", modelType), ("torch_dtype", "float16"), ("transformers_version", "4.44.2")];

    /// <summary>The record's JSON (every key it knows) with <paramref name="identity"/> keys in front.</summary>
    static JsonObject Json<T>(T config, (string Key, JsonNode? Value)[] identity) where T : class, IConfig<T>
    {
        var json = new JsonObject();
        foreach (var (key, value) in identity) json[key] = value;
        foreach (var (key, value) in Parse(ConfigFile.ToJson(config.Validate($"preset {typeof(T).Name}"))))
            if (!json.ContainsKey(key)) json[key] = value?.DeepClone();
        return json;
    }

    static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    const string PriorModelIndexJson = """
        {
          "_class_name": "KandinskyPriorPipeline",
          "_diffusers_version": "0.30.3",
          "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
          "image_processor": ["transformers", "CLIPImageProcessor"],
          "prior": ["diffusers", "PriorTransformer"],
          "scheduler": ["diffusers", "UnCLIPScheduler"],
          "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
          "tokenizer": [null, null]
        }
        """;

    const string DecoderModelIndexJson = """
        {
          "_class_name": "KandinskyPipeline",
          "_diffusers_version": "0.30.3",
          "movq": ["diffusers", "VQModel"],
          "scheduler": ["diffusers", "DDIMScheduler"],
          "text_encoder": ["kandinsky", "MultilingualCLIP"],
          "tokenizer": [null, null],
          "unet": ["diffusers", "UNet2DConditionModel"]
        }
        """;
}
