using System.Text.Json;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Checkpoints;

/// <summary>
/// One sub-folder of a pipeline folder: a config file and, for networks, a weight file whose parameter list is
/// built from the network class itself (<see cref="ParameterSpec"/>).
/// </summary>
public sealed record ComponentPreset(string Folder, string ConfigFileName, JsonObject Config, string? WeightsFileName,
    Func<string, IReadOnlyList<WeightRequest>>? Spec)
{
    /// <summary>The parameter list of this component's network (empty for schedulers and processors).</summary>
    public IReadOnlyList<WeightRequest> Parameters() => Spec?.Invoke(Config.ToJsonString()) ?? [];
}

/// <summary>A diffusers pipeline folder (model_index.json + components), e.g. the prior or the decoder repository.</summary>
public sealed record PipelinePreset(string Folder, JsonObject ModelIndex, IReadOnlyList<ComponentPreset> Components);

/// <summary>A whole Kandinsky 2.1 checkpoint: the prior and decoder pipeline folders.</summary>
public sealed record CheckpointPreset(string Name, string Description, IReadOnlyList<PipelinePreset> Pipelines);

/// <summary>
/// The configurations of the published Kandinsky 2.1 components (kandinsky-community/kandinsky-2-1-prior and
/// kandinsky-community/kandinsky-2-1) and a tiny variant with the same structure, for random-weight checkpoints of
/// the true layout and size. Tokenizer files are not part of a preset (model_index lists the tokenizers as
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
    public static CheckpointPreset Kandinsky21 => Build("kandinsky-2-1", "Kandinsky 2.1 at its published size",
        Parse(ClipTextJson), Parse(ClipVisionJson), Parse(PriorJson), Parse(ImageProcessorJson),
        Parse(UNet2DConditionConfig.Kandinsky21.ToJson()), Parse(VQModelConfig.Kandinsky21.ToJson()), Parse(MClipJson));

    /// <summary>A few-megabyte model with every Kandinsky 2.1 block type, for tests.</summary>
    public static CheckpointPreset Tiny => Build("tiny", "Kandinsky 2.1 structure at test size",
        With(Parse(ClipTextJson), ("hidden_size", 32), ("intermediate_size", 64), ("num_attention_heads", 2), ("num_hidden_layers", 2),
            ("projection_dim", 32), ("vocab_size", 1000)),
        With(Parse(ClipVisionJson), ("hidden_size", 32), ("intermediate_size", 64), ("num_attention_heads", 2), ("num_hidden_layers", 2),
            ("projection_dim", 32), ("image_size", 32), ("patch_size", 8)),
        With(Parse(PriorJson), ("attention_head_dim", 16), ("num_attention_heads", 2), ("num_layers", 2), ("embedding_dim", 32)),
        With(Parse(ImageProcessorJson), ("crop_size", new JsonObject { ["height"] = 32, ["width"] = 32 }), ("size", new JsonObject { ["shortest_edge"] = 32 })),
        Parse((UNet2DConditionConfig.Kandinsky21 with
        {
            AttentionHeadDim = [16], BlockOutChannels = [32, 64], CrossAttentionDim = 32, EncoderHidDim = 32, LayersPerBlock = 1, NormNumGroups = 8,
            DownBlockTypes = [UNet2DConditionConfig.DownResnet, UNet2DConditionConfig.DownCrossAttn],
            UpBlockTypes = [UNet2DConditionConfig.UpCrossAttn, UNet2DConditionConfig.UpResnet], SampleSize = 8,
        }).ToJson()),
        Parse((VQModelConfig.Kandinsky21 with
        {
            BlockOutChannels = [32, 32], LayersPerBlock = 1, NormNumGroups = 8, NumVqEmbeddings = 64, SampleSize = 16,
            DownBlockTypes = [VQModelConfig.DownEncoder, VQModelConfig.AttnDownEncoder], UpBlockTypes = [VQModelConfig.AttnUpDecoder, VQModelConfig.UpDecoder],
        }).ToJson()),
        With(Parse(MClipJson), ("hidden_size", 32), ("transformerDimensions", 32), ("intermediate_size", 64), ("num_attention_heads", 2),
            ("num_hidden_layers", 2), ("numDims", 32), ("vocab_size", 1000)));

    static CheckpointPreset Build(string name, string description, JsonObject clipText, JsonObject clipVision, JsonObject prior,
        JsonObject imageProcessor, JsonObject unet, JsonObject movq, JsonObject mclip)
    {
        const string diffusersWeights = "diffusion_pytorch_model.safetensors", transformersWeights = "model.safetensors";
        var priorPipeline = new PipelinePreset("prior", Parse(PriorModelIndexJson),
        [
            new("prior", "config.json", prior, diffusersWeights, json => ParameterSpec.Of("prior", w => new PriorTransformer(Read<PriorTransformerConfig>(json), w))),
            new("text_encoder", "config.json", clipText, transformersWeights, json => ParameterSpec.Of("text_encoder", w => new ClipTextModelWithProjection(Read<ClipTextConfig>(json), w))),
            new("image_encoder", "config.json", clipVision, transformersWeights, json => ParameterSpec.Of("image_encoder", w => new ClipVisionModelWithProjection(Read<ClipVisionConfig>(json), w))),
            new("image_processor", "preprocessor_config.json", imageProcessor, null, null),
            new("scheduler", "scheduler_config.json", Parse(UnClipSchedulerJson), null, null),
        ]);
        var decoderPipeline = new PipelinePreset("decoder", Parse(DecoderModelIndexJson),
        [
            new("unet", "config.json", unet, diffusersWeights, json => ParameterSpec.Of("unet", w => new UNet2DConditionModel(UNet2DConditionConfig.FromJson(json), w))),
            new("movq", "config.json", movq, diffusersWeights, json => ParameterSpec.Of("movq", w => new VQModel(VQModelConfig.FromJson(json), w))),
            new("text_encoder", "config.json", mclip, transformersWeights, MClipSpec),
            new("scheduler", "scheduler_config.json", Parse(DdimSchedulerJson), null, null),
            new("ddpm_scheduler", "scheduler_config.json", Parse(DdpmSchedulerJson), null, null),
        ]);
        return new CheckpointPreset(name, description, [priorPipeline, decoderPipeline]);
    }

    /// <summary>MultilingualCLIP's parameters plus the XLM-R pooler, which the checkpoint stores but the network never uses.</summary>
    static IReadOnlyList<WeightRequest> MClipSpec(string json)
    {
        var config = Read<MultilingualClipConfig>(json);
        var spec = ParameterSpec.Of("text_encoder", w => new MultilingualClip(config, w)).ToList();
        spec.Add(new("transformer.pooler.dense.weight", [config.HiddenSize, config.HiddenSize]));
        spec.Add(new("transformer.pooler.dense.bias", [config.HiddenSize]));
        return spec;
    }

    static T Read<T>(string json) where T : class =>
        JsonSerializer.Deserialize<T>(json, ConfigJson.Options) ?? throw new InvalidDataException($"Preset config for {typeof(T).Name} is empty.");

    static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    static JsonObject With(JsonObject config, params (string Key, JsonNode? Value)[] changes)
    {
        foreach (var (key, value) in changes)
        {
            if (!config.ContainsKey(key)) throw new ArgumentException($"Preset override of unknown key \"{key}\".");
            config[key] = value;
        }
        return config;
    }

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

    const string PriorJson = """
        {
          "_class_name": "PriorTransformer",
          "_diffusers_version": "0.30.3",
          "added_emb_type": "prd",
          "additional_embeddings": 4,
          "attention_head_dim": 64,
          "clip_embed_dim": null,
          "dropout": 0.0,
          "embedding_dim": 768,
          "embedding_proj_dim": null,
          "embedding_proj_norm_type": null,
          "encoder_hid_proj_type": "linear",
          "norm_in_type": null,
          "num_attention_heads": 32,
          "num_embeddings": 77,
          "num_layers": 20,
          "time_embed_act_fn": "silu",
          "time_embed_dim": null
        }
        """;

    const string ClipTextJson = """
        {
          "architectures": ["CLIPTextModelWithProjection"],
          "attention_dropout": 0.0,
          "bos_token_id": 0,
          "dropout": 0.0,
          "eos_token_id": 2,
          "hidden_act": "quick_gelu",
          "hidden_size": 768,
          "initializer_factor": 1.0,
          "initializer_range": 0.02,
          "intermediate_size": 3072,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 77,
          "model_type": "clip_text_model",
          "num_attention_heads": 12,
          "num_hidden_layers": 12,
          "pad_token_id": 1,
          "projection_dim": 768,
          "torch_dtype": "float16",
          "transformers_version": "4.44.2",
          "vocab_size": 49408
        }
        """;

    const string ClipVisionJson = """
        {
          "architectures": ["CLIPVisionModelWithProjection"],
          "attention_dropout": 0.0,
          "dropout": 0.0,
          "hidden_act": "quick_gelu",
          "hidden_size": 1024,
          "image_size": 224,
          "initializer_factor": 1.0,
          "initializer_range": 0.02,
          "intermediate_size": 4096,
          "layer_norm_eps": 1e-05,
          "model_type": "clip_vision_model",
          "num_attention_heads": 16,
          "num_channels": 3,
          "num_hidden_layers": 24,
          "patch_size": 14,
          "projection_dim": 768,
          "torch_dtype": "float16",
          "transformers_version": "4.44.2"
        }
        """;

    const string ImageProcessorJson = """
        {
          "crop_size": {"height": 224, "width": 224},
          "do_center_crop": true,
          "do_convert_rgb": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": {"shortest_edge": 224}
        }
        """;

    const string MClipJson = """
        {
          "architectures": ["MultilingualCLIP"],
          "attention_probs_dropout_prob": 0.1,
          "bos_token_id": 0,
          "classifier_dropout": null,
          "eos_token_id": 2,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 1024,
          "initializer_range": 0.02,
          "intermediate_size": 4096,
          "layer_norm_eps": 1e-05,
          "max_position_embeddings": 514,
          "model_type": "M-CLIP",
          "numDims": 768,
          "num_attention_heads": 16,
          "num_hidden_layers": 24,
          "pad_token_id": 1,
          "position_embedding_type": "absolute",
          "torch_dtype": "float16",
          "transformerDimensions": 1024,
          "transformers_version": "4.44.2",
          "type_vocab_size": 1,
          "use_cache": true,
          "vocab_size": 250002
        }
        """;

    const string UnClipSchedulerJson = """
        {
          "_class_name": "UnCLIPScheduler",
          "_diffusers_version": "0.30.3",
          "beta_schedule": "squaredcos_cap_v2",
          "clip_sample": true,
          "clip_sample_range": 10.0,
          "num_train_timesteps": 1000,
          "prediction_type": "sample",
          "variance_type": "fixed_small_log"
        }
        """;

    const string DdimSchedulerJson = """
        {
          "_class_name": "DDIMScheduler",
          "_diffusers_version": "0.30.3",
          "beta_end": 0.012,
          "beta_schedule": "linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.995,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 1.0,
          "set_alpha_to_one": false,
          "steps_offset": 1,
          "thresholding": false,
          "timestep_spacing": "leading",
          "trained_betas": null
        }
        """;

    const string DdpmSchedulerJson = """
        {
          "_class_name": "DDPMScheduler",
          "_diffusers_version": "0.30.3",
          "beta_end": 0.012,
          "beta_schedule": "linear",
          "beta_start": 0.00085,
          "clip_sample": false,
          "clip_sample_range": 1.0,
          "dynamic_thresholding_ratio": 0.995,
          "num_train_timesteps": 1000,
          "prediction_type": "epsilon",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 2.0,
          "steps_offset": 0,
          "thresholding": true,
          "timestep_spacing": "leading",
          "trained_betas": null,
          "variance_type": "learned_range"
        }
        """;
}
