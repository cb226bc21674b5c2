using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Models.TextEncoders;

/// <summary>
/// config.json of Kandinsky's MultilingualCLIP (model_type "M-CLIP"): the XLM-RoBERTa keys (transformers class
/// defaults for missing ones) plus <c>transformerDimensions</c> (XLM-R width) and <c>numDims</c> (output width).
/// </summary>
public sealed record MultilingualClipConfig : IConfig<MultilingualClipConfig>
{
    [JsonPropertyName("transformerDimensions")] public int TransformerDimensions { get; init; } = 1024;
    [JsonPropertyName("numDims")] public int NumDims { get; init; } = 768;
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 250002;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 1024;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 24;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 16;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 4096;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 514;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; } = 1;
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>The Kandinsky 2.1 decoder's text encoder (M-CLIP XLM-R large, 1024 → 768).</summary>
    public static MultilingualClipConfig Kandinsky21 => new()
    {
        TransformerDimensions = 1024, NumDims = 768, VocabSize = 250002, HiddenSize = 1024, NumHiddenLayers = 24,
        NumAttentionHeads = 16, IntermediateSize = 4096, MaxPositionEmbeddings = 514, TypeVocabSize = 1, LayerNormEps = 1e-5,
    };

    public MultilingualClipConfig Validate(string source = "MultilingualCLIP config")
    {
        ConfigFile.RequirePositive(source, ("transformerDimensions", TransformerDimensions), ("numDims", NumDims), ("vocab_size", VocabSize),
            ("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers), ("num_attention_heads", NumAttentionHeads),
            ("intermediate_size", IntermediateSize), ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize));
        if (TransformerDimensions != HiddenSize)
            throw new InvalidDataException($"{source}: transformerDimensions {TransformerDimensions} differs from hidden_size {HiddenSize}; LinearTransformation reads the XLM-R hidden states.");
        ConfigFile.RequireHeads(source, HiddenSize, NumAttentionHeads);
        if (PositionEmbeddingType != "absolute")
            throw new InvalidDataException($"{source}: position_embedding_type is \"{PositionEmbeddingType}\", expected \"absolute\".");
        Activation.Validate(HiddenAct, source);
        return this;
    }
}
