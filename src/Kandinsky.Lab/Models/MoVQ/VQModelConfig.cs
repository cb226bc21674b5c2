using System.Text.Json;
using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Models.MoVQ;

/// <summary>
/// diffusers <c>VQModel</c> config.json with the diffusers defaults. This port implements the MoVQ form used by
/// Kandinsky 2.1 (<c>norm_type="spatial"</c>); <see cref="Validate"/> names any other value it meets.
/// </summary>
public sealed record VQModelConfig : IConfig<VQModelConfig>
{
    [JsonPropertyName("_class_name")] public string ClassName { get; init; } = "VQModel";
    [JsonPropertyName("_diffusers_version")] public string DiffusersVersion { get; init; } = "0.30.3";
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("block_out_channels")] public int[] BlockOutChannels { get; init; } = [64];
    [JsonPropertyName("down_block_types")] public string[] DownBlockTypes { get; init; } = [DownEncoder];
    [JsonPropertyName("force_upcast")] public bool ForceUpcast { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 3;
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 1;
    [JsonPropertyName("lookup_from_codebook")] public bool LookupFromCodebook { get; init; }
    [JsonPropertyName("mid_block_add_attention")] public bool MidBlockAddAttention { get; init; } = true;
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("norm_type")] public string NormType { get; init; } = "group";
    [JsonPropertyName("num_vq_embeddings")] public int NumVqEmbeddings { get; init; } = 256;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 3;
    [JsonPropertyName("sample_size")] public int SampleSize { get; init; } = 32;
    [JsonPropertyName("scaling_factor")] public float ScalingFactor { get; init; } = 0.18215f;
    [JsonPropertyName("up_block_types")] public string[] UpBlockTypes { get; init; } = [UpDecoder];
    [JsonPropertyName("vq_embed_dim")] public int? VqEmbedDim { get; init; }

    public const string DownEncoder = "DownEncoderBlock2D";
    public const string AttnDownEncoder = "AttnDownEncoderBlock2D";
    public const string UpDecoder = "UpDecoderBlock2D";
    public const string AttnUpDecoder = "AttnUpDecoderBlock2D";

    /// <summary>The published Kandinsky 2.1 MoVQ (kandinsky-community/kandinsky-2-1, movq/config.json): 67 M parameters.</summary>
    public static VQModelConfig Kandinsky21 => new()
    {
        BlockOutChannels = [128, 256, 256, 512],
        DownBlockTypes = [DownEncoder, DownEncoder, DownEncoder, AttnDownEncoder],
        LatentChannels = 4,
        LayersPerBlock = 2,
        NormType = "spatial",
        NumVqEmbeddings = 16384,
        SampleSize = 256,
        UpBlockTypes = [AttnUpDecoder, UpDecoder, UpDecoder, UpDecoder],
        VqEmbedDim = 4,
    };

    /// <summary>Width of the codebook vectors: vq_embed_dim, or latent_channels when unset.</summary>
    [JsonIgnore] public int EmbedDim => VqEmbedDim ?? LatentChannels;

    /// <summary>The pipelines' movq_scale_factor: 2^(levels-1) pixels per latent.</summary>
    [JsonIgnore] public int ScaleFactor => 1 << (BlockOutChannels.Length - 1);

    public VQModelConfig Validate(string source = "VQModelConfig")
    {
        void Require(bool ok, string key, object? value, string expected)
        {
            if (!ok) throw new NotSupportedException($"{source}: unsupported VQModel option {key} = {ConfigFile.Show(value)}; this port supports {expected}.");
        }
        int levels = BlockOutChannels.Length;
        Require(levels >= 1 && BlockOutChannels.All(c => c > 0), "block_out_channels", BlockOutChannels, "one or more positive widths");
        Require(DownBlockTypes.Length == levels, "down_block_types", DownBlockTypes, $"one block type per block_out_channels entry ({levels})");
        Require(UpBlockTypes.Length == levels, "up_block_types", UpBlockTypes, $"one block type per block_out_channels entry ({levels})");
        foreach (var t in DownBlockTypes) Require(t is DownEncoder or AttnDownEncoder, "down_block_types", t, $"\"{DownEncoder}\" or \"{AttnDownEncoder}\"");
        foreach (var t in UpBlockTypes) Require(t is UpDecoder or AttnUpDecoder, "up_block_types", t, $"\"{UpDecoder}\" or \"{AttnUpDecoder}\"");
        Require(NormType == "spatial", "norm_type", NormType, "\"spatial\" (MoVQ)");
        Require(ActFn == "silu", "act_fn", ActFn, "\"silu\"");
        Require(!LookupFromCodebook, "lookup_from_codebook", LookupFromCodebook, "false");
        Require(NormNumGroups > 0 && BlockOutChannels.All(c => c % NormNumGroups == 0), "norm_num_groups", NormNumGroups, "a group count dividing every block_out_channels entry");
        Require(BlockOutChannels.All(c => c % SpatialNorm.Groups == 0), "block_out_channels", BlockOutChannels, $"widths divisible by {SpatialNorm.Groups} (SpatialNorm always uses {SpatialNorm.Groups} groups)");
        Require(LayersPerBlock >= 1, "layers_per_block", LayersPerBlock, "≥ 1");
        Require(NumVqEmbeddings >= 1, "num_vq_embeddings", NumVqEmbeddings, "≥ 1");
        Require(EmbedDim >= 1, "vq_embed_dim", VqEmbedDim, "≥ 1");
        return this;
    }
}
