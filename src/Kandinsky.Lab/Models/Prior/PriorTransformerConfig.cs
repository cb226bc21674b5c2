using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Models.Prior;

/// <summary>config.json of diffusers' PriorTransformer, key for key, with the class defaults for missing keys.</summary>
public sealed record PriorTransformerConfig : IConfig<PriorTransformerConfig>
{
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 32;
    [JsonPropertyName("attention_head_dim")] public int AttentionHeadDim { get; init; } = 64;
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 20;
    [JsonPropertyName("embedding_dim")] public int EmbeddingDim { get; init; } = 768;
    [JsonPropertyName("num_embeddings")] public int NumEmbeddings { get; init; } = 77;
    [JsonPropertyName("additional_embeddings")] public int AdditionalEmbeddings { get; init; } = 4;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("time_embed_act_fn")] public string TimeEmbedActFn { get; init; } = "silu";
    [JsonPropertyName("norm_in_type")] public string? NormInType { get; init; }
    [JsonPropertyName("embedding_proj_norm_type")] public string? EmbeddingProjNormType { get; init; }
    [JsonPropertyName("encoder_hid_proj_type")] public string? EncoderHidProjType { get; init; } = "linear";
    [JsonPropertyName("added_emb_type")] public string? AddedEmbType { get; init; } = "prd";
    [JsonPropertyName("time_embed_dim")] public int? TimeEmbedDim { get; init; }
    [JsonPropertyName("embedding_proj_dim")] public int? EmbeddingProjDim { get; init; }
    [JsonPropertyName("clip_embed_dim")] public int? ClipEmbedDim { get; init; }

    /// <summary>num_attention_heads × attention_head_dim.</summary>
    [JsonIgnore] public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    /// <summary>The Kandinsky 2.1 prior (kandinsky-community/kandinsky-2-1-prior, prior/config.json).</summary>
    public static PriorTransformerConfig Kandinsky21 => new()
    {
        NumAttentionHeads = 32, AttentionHeadDim = 64, NumLayers = 20, EmbeddingDim = 768, NumEmbeddings = 77, AdditionalEmbeddings = 4,
    };

    /// <summary>Throws for values outside the Kandinsky 2.1 subset this port implements; messages give the key, the value and what is expected.</summary>
    public PriorTransformerConfig Validate(string source = "PriorTransformer config")
    {
        ConfigFile.RequirePositive(source, ("num_attention_heads", NumAttentionHeads), ("attention_head_dim", AttentionHeadDim), ("num_layers", NumLayers),
            ("embedding_dim", EmbeddingDim), ("num_embeddings", NumEmbeddings));
        if (AdditionalEmbeddings != 4)
            throw new InvalidDataException($"{source}: additional_embeddings is {AdditionalEmbeddings}, expected 4 (text tokens + proj, time, hidden, prd).");
        if (TimeEmbedActFn != "silu")
            throw new InvalidDataException($"{source}: time_embed_act_fn is \"{TimeEmbedActFn}\", expected \"silu\".");
        if (NormInType != null)
            throw new InvalidDataException($"{source}: norm_in_type is \"{NormInType}\", expected null.");
        if (EmbeddingProjNormType != null)
            throw new InvalidDataException($"{source}: embedding_proj_norm_type is \"{EmbeddingProjNormType}\", expected null.");
        if (EncoderHidProjType != "linear")
            throw new InvalidDataException($"{source}: encoder_hid_proj_type is \"{EncoderHidProjType ?? "null"}\", expected \"linear\".");
        if (AddedEmbType != "prd")
            throw new InvalidDataException($"{source}: added_emb_type is \"{AddedEmbType ?? "null"}\", expected \"prd\".");
        return this;
    }
}
