using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Models.Clip;

/// <summary>config.json of transformers' CLIPTextModelWithProjection (model_type "clip_text_model"), with the class defaults.</summary>
public sealed record ClipTextConfig : IConfig<ClipTextConfig>
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 49408;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 2048;
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 8;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 77;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; } = 1;
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 49406;
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 49407;

    /// <summary>The Kandinsky 2.1 prior's text encoder (CLIP ViT-L/14 text tower, legacy eos_token_id 2).</summary>
    public static ClipTextConfig Kandinsky21 => new()
    {
        HiddenSize = 768, IntermediateSize = 3072, ProjectionDim = 768, NumHiddenLayers = 12, NumAttentionHeads = 12,
        PadTokenId = 1, BosTokenId = 0, EosTokenId = 2,
    };

    public ClipTextConfig Validate(string source = "CLIP text config")
    {
        ConfigFile.RequirePositive(source, ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
            ("projection_dim", ProjectionDim), ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads),
            ("max_position_embeddings", MaxPositionEmbeddings));
        ConfigFile.RequireHeads(source, HiddenSize, NumAttentionHeads);
        Activation.Validate(HiddenAct, source);
        return this;
    }
}

/// <summary>config.json of transformers' CLIPVisionModelWithProjection (model_type "clip_vision_model"), with the class defaults.</summary>
public sealed record ClipVisionConfig : IConfig<ClipVisionConfig>
{
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("projection_dim")] public int ProjectionDim { get; init; } = 512;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("num_channels")] public int NumChannels { get; init; } = 3;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 224;
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 32;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "quick_gelu";
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>(image_size / patch_size)² patches + the class token.</summary>
    [JsonIgnore] public int NumPositions => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <summary>The Kandinsky 2.1 prior's image encoder (CLIP ViT-L/14).</summary>
    public static ClipVisionConfig Kandinsky21 => new()
    {
        HiddenSize = 1024, IntermediateSize = 4096, ProjectionDim = 768, NumHiddenLayers = 24, NumAttentionHeads = 16, PatchSize = 14,
    };

    public ClipVisionConfig Validate(string source = "CLIP vision config")
    {
        ConfigFile.RequirePositive(source, ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize), ("projection_dim", ProjectionDim),
            ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads), ("num_channels", NumChannels),
            ("image_size", ImageSize), ("patch_size", PatchSize));
        ConfigFile.RequireHeads(source, HiddenSize, NumAttentionHeads);
        if (ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{source}: image_size {ImageSize} is not a multiple of patch_size {PatchSize}.");
        Activation.Validate(HiddenAct, source);
        return this;
    }
}
