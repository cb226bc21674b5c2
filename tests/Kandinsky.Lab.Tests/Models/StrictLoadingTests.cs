using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>Strict loading of the prior-side networks and the MCLIP text encoder: every problem is named; the embedded model loads cleanly.</summary>
public class StrictLoadingTests
{
    /// <summary>All tensors of a weight file copied into memory, so tests can remove, add and reshape keys.</summary>
    static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Names.ToDictionary(n => n, n => file.GetTensorAsFloat32(n), StringComparer.Ordinal);
    }

    static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }

    static string PriorCase(string file) => Path.Combine(Fixtures.Golden("prior_a"), "model", file);

    [Fact]
    public void PriorReportsMissingExtraAndMisshapedKeysTogether()
    {
        var tensors = ReadAll(PriorCase("diffusion_pytorch_model.safetensors"));
        try
        {
            tensors.Remove("transformer_blocks.1.attn1.to_k.bias", out var removed);
            removed!.Dispose();
            tensors["transformer_blocks.0.attn1.to_q.extra"] = Tensor.Zeros(3);
            tensors["proj_in.weight"].Dispose();
            tensors["proj_in.weight"] = Tensor.Zeros(16, 13);
            var config = ConfigFile.Load<PriorTransformerConfig>(PriorCase("config.json"));

            var ex = Assert.Throws<WeightLoadException>(() => WeightCursor.Build(new DictionaryWeightStore(tensors), "prior", w => new PriorTransformer(config, w)));

            Assert.Equal(["transformer_blocks.1.attn1.to_k.bias (expected [16])"], ex.Missing);
            Assert.Equal(["transformer_blocks.0.attn1.to_q.extra"], ex.Unused);
            Assert.Single(ex.Misshaped);
            Assert.Contains("proj_in.weight: expected [16, 12], found [16, 13]", ex.Misshaped[0]);
            Assert.Contains("prior", ex.Message);
            Assert.Contains("transformer_blocks.1.attn1.to_k.bias", ex.Message);
        }
        finally
        {
            DisposeAll(tensors);
        }
    }

    [Fact]
    public void MultilingualClipIgnoresOnlyThePooler()
    {
        var dir = Path.Combine(Fixtures.Golden("mclip_a"), "model");
        var tensors = ReadAll(Path.Combine(dir, "model.safetensors"));
        try
        {
            var config = ConfigFile.Load<MultilingualClipConfig>(Path.Combine(dir, "config.json"));
            using (WeightCursor.Build(new DictionaryWeightStore(tensors), "text_encoder", w => new MultilingualClip(config, w))) { }   // pooler present, unused: fine

            tensors["transformer.encoder.layer.0.attention.self.rotary"] = Tensor.Zeros(2);
            var ex = Assert.Throws<WeightLoadException>(() => WeightCursor.Build(new DictionaryWeightStore(tensors), "text_encoder", w => new MultilingualClip(config, w)));
            Assert.Equal(["transformer.encoder.layer.0.attention.self.rotary"], ex.Unused);
        }
        finally
        {
            DisposeAll(tensors);
        }
    }

    [Fact]
    public void ConfigValidationNamesKeyAndValues()
    {
        var ex = Assert.Throws<InvalidDataException>(() => new PriorTransformerConfig { AddedEmbType = "none" }.Validate());
        Assert.Contains("added_emb_type is \"none\", expected \"prd\"", ex.Message);
        var clip = Assert.Throws<InvalidDataException>(() => new ClipTextConfig { HiddenSize = 30, NumAttentionHeads = 4 }.Validate());
        Assert.Contains("hidden_size 30 is not divisible by num_attention_heads 4", clip.Message);
        var act = Assert.Throws<InvalidDataException>(() => new ClipVisionConfig { HiddenAct = "relu" }.Validate());
        Assert.Contains("hidden_act is \"relu\"", act.Message);
    }

    [Fact]
    public void ConfigDefaultsApplyToMissingKeys()
    {
        var path = Path.Combine(Path.GetTempPath(), $"clip-text-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{"hidden_size": 32, "num_attention_heads": 4, "vocab_size": 10}""");
            var config = ConfigFile.Load<ClipTextConfig>(path);
            Assert.Equal("quick_gelu", config.HiddenAct);
            Assert.Equal(1e-5, config.LayerNormEps);
            Assert.Equal(77, config.MaxPositionEmbeddings);
            Assert.Equal(49407, config.EosTokenId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmbeddedModelPriorSideAndDecoderTextEncoderLoadStrictly()
    {
        var prior = Path.Combine(Fixtures.MicroModel, "prior");
        using (var model = PriorTransformer.Load(Path.Combine(prior, "prior")))
            Assert.Equal(model.Config.NumLayers, model.TransformerBlocks.Length);
        using (var model = ClipTextModelWithProjection.Load(Path.Combine(prior, "text_encoder")))
            Assert.Equal(DType.F16, model.TokenEmbedding.DType);   // weights stay half precision, converted on use
        using (var model = ClipVisionModelWithProjection.Load(Path.Combine(prior, "image_encoder")))
            Assert.NotEmpty(model.Layers);
        var processor = ClipImageProcessor.Load(Path.Combine(prior, "image_processor"));
        Assert.Equal(64, processor.Config.CropHeight);
        Assert.IsType<UnClipScheduler>(SchedulerFactory.Load(Path.Combine(prior, "scheduler", "scheduler_config.json")));

        var decoder = Path.Combine(Fixtures.MicroModel, "decoder");
        using (var model = MultilingualClip.Load(Path.Combine(decoder, "text_encoder")))
            Assert.Equal(64, model.LinearTransformation.OutFeatures);
        Assert.IsType<DdimScheduler>(SchedulerFactory.Load(Path.Combine(decoder, "scheduler", "scheduler_config.json")));
    }

    [Fact]
    public void EmbeddedModelTextEncodersRunOnTokenIds()
    {
        var prior = Path.Combine(Fixtures.MicroModel, "prior");
        using var clip = ClipTextModelWithProjection.Load(Path.Combine(prior, "text_encoder"));
        using var result = clip.Forward(new long[,] { { 0, 5, 7, 913, 1 } });
        Assert.Equal([1, 64], result.TextEmbeds.ShapeArray());
        Assert.All(result.LastHiddenState.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal([3], clip.PooledPositions(new long[,] { { 0, 5, 7, 913, 1 } }));
    }
}
