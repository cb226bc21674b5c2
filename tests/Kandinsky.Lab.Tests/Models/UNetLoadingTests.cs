using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Models;

public class UNetLoadingTests
{
    static string Decoder(string component, string file) => Path.Combine(Fixtures.MicroModel, "decoder", component, file);

    [Fact]
    public void MicroModelUNetLoadsStrictlyAndRuns()
    {
        var config = ConfigFile.Load<UNet2DConditionConfig>(Decoder("unet", "config.json"));
        using var unet = UNet2DConditionModel.Load(Path.Combine(Fixtures.MicroModel, "decoder", "unet"));
        int d = config.CrossAttentionDim;
        using var sample = Tensor.Full(0.5f, 1, config.InChannels, 8, 8);
        using var ehs = Tensor.Full(0.1f, 1, 3, config.EncoderHidDim!.Value);
        using var embeds = Tensor.Full(0.2f, 1, d);
        using var y = unet.Forward(sample, [500], ehs, embeds, embeds);
        Assert.Equal(new[] { 1, config.OutChannels, 8, 8 }, y.ShapeArray());
        Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void MicroModelMoVQLoadsStrictlyAndRuns()
    {
        var config = ConfigFile.Load<VQModelConfig>(Decoder("movq", "config.json"));
        using var movq = VQModel.Load(Path.Combine(Fixtures.MicroModel, "decoder", "movq"));
        using var latents = Tensor.Full(0.3f, 1, config.EmbedDim, 2, 3);
        using var image = movq.Decode(latents);
        int s = config.ScaleFactor;
        Assert.Equal(new[] { 1, config.OutChannels, 2 * s, 3 * s }, image.ShapeArray());
    }

    /// <summary>The micro UNet's weights as an editable dictionary (float32 copies).</summary>
    static Dictionary<string, Tensor> MicroUNetWeights(out UNet2DConditionConfig config)
    {
        config = ConfigFile.Load<UNet2DConditionConfig>(Decoder("unet", "config.json"));
        using var file = SafetensorsFile.Open(Decoder("unet", UNet2DConditionModel.WeightsFileName));
        return file.Names.ToDictionary(n => n, n => file.GetTensorAsFloat32(n));
    }

    static WeightLoadException LoadFails(Dictionary<string, Tensor> weights, UNet2DConditionConfig config)
    {
        try { return Assert.Throws<WeightLoadException>(() => WeightCursor.Build(new DictionaryWeightStore(weights), "unet", w => new UNet2DConditionModel(config, w)).Dispose()); }
        finally { foreach (var t in weights.Values) t.Dispose(); }
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        var weights = MicroUNetWeights(out var config);
        const string key = "down_blocks.1.attentions.0.add_k_proj.weight";
        weights.Remove(key, out var removed);
        removed!.Dispose();
        var e = LoadFails(weights, config);
        Assert.Contains(e.Missing, m => m.StartsWith(key, StringComparison.Ordinal));
        Assert.Contains(key, e.Message);
        Assert.Empty(e.Unused);
    }

    [Fact]
    public void ExtraKeyIsNamed()
    {
        var weights = MicroUNetWeights(out var config);
        weights["mid_block.attentions.0.add_q_proj.weight"] = Tensor.Zeros(4, 4);
        var e = LoadFails(weights, config);
        Assert.Equal(["mid_block.attentions.0.add_q_proj.weight"], e.Unused);
        Assert.Empty(e.Missing);
    }

    [Fact]
    public void WrongShapeNamesKeyAndBothShapes()
    {
        var weights = MicroUNetWeights(out var config);
        const string key = "conv_in.weight";
        var old = weights[key];
        weights[key] = Tensor.Zeros(old.Size(0), old.Size(1) + 5, 3, 3);   // an inpaint-sized conv_in for a text2img config
        old.Dispose();
        var e = LoadFails(weights, config);
        var line = Assert.Single(e.Misshaped);
        Assert.Contains(key, line);
        Assert.Contains($"[{old.Size(0)}, {config.InChannels}, 3, 3]", line);
        Assert.Contains($"[{old.Size(0)}, {config.InChannels + 5}, 3, 3]", line);
    }

    [Fact]
    public void UnsupportedBlockTypeIsAClearError()
    {
        var json = File.ReadAllText(Decoder("unet", "config.json")).Replace("\"SimpleCrossAttnDownBlock2D\"", "\"CrossAttnDownBlock2D\"");
        var e = Assert.Throws<NotSupportedException>(() => ConfigFile.Parse<UNet2DConditionConfig>(json, "edited/config.json"));
        Assert.Contains("down_block_types", e.Message);
        Assert.Contains("\"CrossAttnDownBlock2D\"", e.Message);
        Assert.Contains("edited/config.json", e.Message);
    }

    [Theory]
    [InlineData("\"resnet_time_scale_shift\": \"scale_shift\"", "\"resnet_time_scale_shift\": \"default\"", "resnet_time_scale_shift")]
    [InlineData("\"addition_embed_type\": \"text_image\"", "\"addition_embed_type\": \"text\"", "addition_embed_type")]
    [InlineData("\"encoder_hid_dim_type\": \"text_image_proj\"", "\"encoder_hid_dim_type\": \"text_proj\"", "encoder_hid_dim_type")]
    public void UnsupportedOptionNamesKeyAndValue(string original, string replacement, string key)
    {
        var json = File.ReadAllText(Decoder("unet", "config.json"));
        Assert.Contains(original, json);
        var e = Assert.Throws<NotSupportedException>(() => ConfigFile.Parse<UNet2DConditionConfig>(json.Replace(original, replacement), "config.json"));
        Assert.Contains(key, e.Message);
        Assert.Contains(replacement.Split(": ")[1], e.Message);
    }

    [Fact]
    public void MoVQWithGroupNormIsAClearError()
    {
        var json = File.ReadAllText(Decoder("movq", "config.json")).Replace("\"norm_type\": \"spatial\"", "\"norm_type\": \"group\"");
        var e = Assert.Throws<NotSupportedException>(() => ConfigFile.Parse<VQModelConfig>(json, "config.json"));
        Assert.Contains("norm_type = \"group\"", e.Message);
    }
}
