using System.Text.Json;
using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c> config.json, the keys the Kandinsky 2.1 decoder UNets use, with the
/// diffusers defaults. Keys not listed here are ignored when reading; <see cref="Validate"/> rejects every value
/// this port does not implement, naming the key and the value.
/// </summary>
public sealed record UNet2DConditionConfig : IConfig<UNet2DConditionConfig>
{
    [JsonPropertyName("_class_name")] public string ClassName { get; init; } = "UNet2DConditionModel";
    [JsonPropertyName("_diffusers_version")] public string DiffusersVersion { get; init; } = "0.30.3";
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("addition_embed_type")] public string? AdditionEmbedType { get; init; } = "text_image";
    [JsonPropertyName("addition_embed_type_num_heads")] public int AdditionEmbedTypeNumHeads { get; init; } = 64;
    [JsonPropertyName("addition_time_embed_dim")] public int? AdditionTimeEmbedDim { get; init; }
    /// <summary>Per-head width of the SimpleCrossAttn blocks (diffusers names it attention_head_dim; here it really is the head size).</summary>
    [JsonPropertyName("attention_head_dim"), JsonConverter(typeof(IntOrIntListConverter))] public int[] AttentionHeadDim { get; init; } = [8];
    [JsonPropertyName("attention_type")] public string AttentionType { get; init; } = "default";
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }
    [JsonPropertyName("class_embed_type")] public string? ClassEmbedType { get; init; }
    [JsonPropertyName("class_embeddings_concat")] public bool ClassEmbeddingsConcat { get; init; }
    [JsonPropertyName("conv_in_kernel")] public int ConvInKernel { get; init; } = 3;
    [JsonPropertyName("conv_out_kernel")] public int ConvOutKernel { get; init; } = 3;
    [JsonPropertyName("cross_attention_dim")] public int CrossAttentionDim { get; init; } = 1280;
    [JsonPropertyName("cross_attention_norm")] public string? CrossAttentionNorm { get; init; }
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } = [];
    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;
    [JsonPropertyName("dropout")] public float Dropout { get; init; }
    [JsonPropertyName("dual_cross_attention")] public bool DualCrossAttention { get; init; }
    [JsonPropertyName("encoder_hid_dim")] public int? EncoderHidDim { get; init; }
    [JsonPropertyName("encoder_hid_dim_type")] public string? EncoderHidDimType { get; init; }
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;
    [JsonPropertyName("freq_shift")] public float FreqShift { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 2;
    [JsonPropertyName("mid_block_only_cross_attention")] public bool? MidBlockOnlyCrossAttention { get; init; }
    [JsonPropertyName("mid_block_scale_factor")] public float MidBlockScaleFactor { get; init; } = 1;
    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = "UNetMidBlock2DSimpleCrossAttn";
    [JsonPropertyName("norm_eps")] public float NormEps { get; init; } = 1e-5f;
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("num_attention_heads")] public JsonElement? NumAttentionHeads { get; init; }
    [JsonPropertyName("num_class_embeds")] public int? NumClassEmbeds { get; init; }
    [JsonPropertyName("only_cross_attention")] public bool OnlyCrossAttention { get; init; }
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;
    [JsonPropertyName("projection_class_embeddings_input_dim")] public int? ProjectionClassEmbeddingsInputDim { get; init; }
    [JsonPropertyName("resnet_out_scale_factor")] public float ResnetOutScaleFactor { get; init; } = 1;
    [JsonPropertyName("resnet_skip_time_act")] public bool ResnetSkipTimeAct { get; init; }
    [JsonPropertyName("resnet_time_scale_shift")] public string ResnetTimeScaleShift { get; init; } = "scale_shift";
    [JsonPropertyName("reverse_transformer_layers_per_block")] public JsonElement? ReverseTransformerLayersPerBlock { get; init; }
    [JsonPropertyName("sample_size")] public int? SampleSize { get; init; }
    [JsonPropertyName("time_cond_proj_dim")] public int? TimeCondProjDim { get; init; }
    [JsonPropertyName("time_embedding_act_fn")] public string? TimeEmbeddingActFn { get; init; }
    [JsonPropertyName("time_embedding_dim")] public int? TimeEmbeddingDim { get; init; }
    [JsonPropertyName("time_embedding_type")] public string TimeEmbeddingType { get; init; } = "positional";
    [JsonPropertyName("timestep_post_act")] public string? TimestepPostAct { get; init; }
    [JsonPropertyName("transformer_layers_per_block"), JsonConverter(typeof(IntOrIntListConverter))] public int[] TransformerLayersPerBlock { get; init; } = [1];
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } = [];
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }
    [JsonPropertyName("use_linear_projection")] public bool UseLinearProjection { get; init; }

    /// <summary>The published Kandinsky 2.1 decoder UNet (kandinsky-community/kandinsky-2-1, unet/config.json): 1.22 B parameters.</summary>
    public static UNet2DConditionConfig Kandinsky21 => new()
    {
        AttentionHeadDim = [64],
        BlockOutChannels = [384, 768, 1152, 1536],
        CrossAttentionDim = 768,
        DownBlockTypes = [DownResnet, DownCrossAttn, DownCrossAttn, DownCrossAttn],
        EncoderHidDim = 1024,
        EncoderHidDimType = "text_image_proj",
        InChannels = 4,
        LayersPerBlock = 3,
        OutChannels = 8,
        SampleSize = 64,
        UpBlockTypes = [UpCrossAttn, UpCrossAttn, UpCrossAttn, UpResnet],
    };

    /// <summary>The Kandinsky 2.1 inpainting UNet (kandinsky-2-1-inpaint): the same network with 9 input channels.</summary>
    public static UNet2DConditionConfig Kandinsky21Inpaint => Kandinsky21 with { InChannels = 9 };

    /// <summary>Width of the time embedding: 4 × block_out_channels[0].</summary>
    [JsonIgnore] public int TimeEmbedDim => BlockOutChannels[0] * 4;

    /// <summary>Head size of block <paramref name="level"/> (one value for all blocks, or one per block).</summary>
    public int HeadDim(int level) => AttentionHeadDim.Length == 1 ? AttentionHeadDim[0] : AttentionHeadDim[level];

    public const string DownResnet = "ResnetDownsampleBlock2D";
    public const string DownCrossAttn = "SimpleCrossAttnDownBlock2D";
    public const string UpResnet = "ResnetUpsampleBlock2D";
    public const string UpCrossAttn = "SimpleCrossAttnUpBlock2D";
    public const string MidCrossAttn = "UNetMidBlock2DSimpleCrossAttn";

    /// <summary>Checks that every option has a value this port implements; returns this config.</summary>
    public UNet2DConditionConfig Validate(string source = "UNet2DConditionConfig")
    {
        void Require(bool ok, string key, object? value, string expected)
        {
            if (!ok) throw new NotSupportedException($"{source}: unsupported UNet2DConditionModel option {key} = {ConfigFile.Show(value)}; this port supports {expected}.");
        }
        int levels = BlockOutChannels.Length;
        Require(levels >= 1 && BlockOutChannels.All(c => c > 0), "block_out_channels", BlockOutChannels, "one or more positive widths");
        Require(DownBlockTypes.Length == levels, "down_block_types", DownBlockTypes, $"one block type per block_out_channels entry ({levels})");
        Require(UpBlockTypes.Length == levels, "up_block_types", UpBlockTypes, $"one block type per block_out_channels entry ({levels})");
        foreach (var t in DownBlockTypes) Require(t is DownResnet or DownCrossAttn, "down_block_types", t, $"\"{DownResnet}\" or \"{DownCrossAttn}\"");
        foreach (var t in UpBlockTypes) Require(t is UpResnet or UpCrossAttn, "up_block_types", t, $"\"{UpResnet}\" or \"{UpCrossAttn}\"");
        Require(MidBlockType == MidCrossAttn, "mid_block_type", MidBlockType, $"\"{MidCrossAttn}\"");
        Require(AttentionHeadDim.Length == 1 || AttentionHeadDim.Length == levels, "attention_head_dim", AttentionHeadDim, "one head size, or one per block");
        for (int i = 0; i < levels; i++)
            Require(HeadDim(i) > 0 && BlockOutChannels[i] % HeadDim(i) == 0, "attention_head_dim", HeadDim(i), $"a head size dividing block_out_channels[{i}] = {BlockOutChannels[i]}");
        Require(NumAttentionHeads is null || NumAttentionHeads.Value.ValueKind == JsonValueKind.Null, "num_attention_heads", NumAttentionHeads?.ToString(), "null");
        Require(ActFn == "silu", "act_fn", ActFn, "\"silu\"");
        Require(AdditionEmbedType == "text_image", "addition_embed_type", AdditionEmbedType, "\"text_image\"");
        Require(EncoderHidDimType == "text_image_proj", "encoder_hid_dim_type", EncoderHidDimType, "\"text_image_proj\"");
        Require(EncoderHidDim is > 0, "encoder_hid_dim", EncoderHidDim, "a positive width (text_image_proj needs it)");
        Require(CrossAttentionDim > 0, "cross_attention_dim", CrossAttentionDim, "a positive width");
        Require(AttentionType == "default", "attention_type", AttentionType, "\"default\"");
        Require(AdditionTimeEmbedDim == null, "addition_time_embed_dim", AdditionTimeEmbedDim, "null");
        Require(!ClassEmbeddingsConcat, "class_embeddings_concat", ClassEmbeddingsConcat, "false");
        Require(ProjectionClassEmbeddingsInputDim == null, "projection_class_embeddings_input_dim", ProjectionClassEmbeddingsInputDim, "null");
        Require(!CenterInputSample, "center_input_sample", CenterInputSample, "false");
        Require(ClassEmbedType == null, "class_embed_type", ClassEmbedType, "null");
        Require(NumClassEmbeds == null, "num_class_embeds", NumClassEmbeds, "null");
        Require(ConvInKernel == 3, "conv_in_kernel", ConvInKernel, "3");
        Require(ConvOutKernel == 3, "conv_out_kernel", ConvOutKernel, "3");
        Require(CrossAttentionNorm == null, "cross_attention_norm", CrossAttentionNorm, "null");
        Require(!DualCrossAttention, "dual_cross_attention", DualCrossAttention, "false");
        Require(!OnlyCrossAttention, "only_cross_attention", OnlyCrossAttention, "false");
        Require(MidBlockOnlyCrossAttention is null or false, "mid_block_only_cross_attention", MidBlockOnlyCrossAttention, "null or false");
        Require(MidBlockScaleFactor == 1, "mid_block_scale_factor", MidBlockScaleFactor, "1");
        Require(ResnetOutScaleFactor == 1, "resnet_out_scale_factor", ResnetOutScaleFactor, "1.0");
        Require(!ResnetSkipTimeAct, "resnet_skip_time_act", ResnetSkipTimeAct, "false");
        Require(ResnetTimeScaleShift == "scale_shift", "resnet_time_scale_shift", ResnetTimeScaleShift, "\"scale_shift\"");
        Require(TimeCondProjDim == null, "time_cond_proj_dim", TimeCondProjDim, "null");
        Require(TimeEmbeddingActFn == null, "time_embedding_act_fn", TimeEmbeddingActFn, "null");
        Require(TimeEmbeddingDim == null, "time_embedding_dim", TimeEmbeddingDim, "null");
        Require(TimeEmbeddingType == "positional", "time_embedding_type", TimeEmbeddingType, "\"positional\"");
        Require(TimestepPostAct == null, "timestep_post_act", TimestepPostAct, "null");
        Require(NormNumGroups > 0 && BlockOutChannels.All(c => c % NormNumGroups == 0), "norm_num_groups", NormNumGroups, "a group count dividing every block_out_channels entry");
        Require(LayersPerBlock >= 1, "layers_per_block", LayersPerBlock, "≥ 1");
        Require(InChannels >= 1, "in_channels", InChannels, "≥ 1");
        Require(OutChannels >= 1, "out_channels", OutChannels, "≥ 1");
        return this;
    }
}
