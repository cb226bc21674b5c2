using System.Text.Json.Nodes;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public sealed class ModelFolderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("model-folder-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A typed view of a few PriorTransformer config keys (the real records live with the models).</summary>
    sealed record PriorConfigProbe(int NumAttentionHeads, int AttentionHeadDim, int NumLayers, int EmbeddingDim, string? AddedEmbType, int? ClipEmbedDim);

    [Fact]
    public void Reads_the_micro_prior_pipeline()
    {
        var folder = ModelFolder.Open(Path.Combine(Fixtures.MicroModel, "prior"));
        Assert.Equal("KandinskyPriorPipeline", folder.ClassName);
        Assert.Equal(["image_encoder", "image_processor", "prior", "scheduler", "text_encoder", "tokenizer"], folder.Components.Select(c => c.Name));
        var prior = folder["prior"];
        Assert.Equal("diffusers", prior.Library);
        Assert.Equal("PriorTransformer", prior.ClassName);
        Assert.EndsWith("config.json", prior.ConfigPath);
        var typed = prior.ReadConfig<PriorConfigProbe>();
        Assert.Equal(prior.Config["num_attention_heads"]!.GetValue<int>(), typed.NumAttentionHeads);
        Assert.Equal(prior.Config["embedding_dim"]!.GetValue<int>(), typed.EmbeddingDim);
        Assert.Equal((string?)prior.Config["added_emb_type"], typed.AddedEmbType);
        Assert.True(prior.HasWeights);
        Assert.EndsWith("diffusion_pytorch_model.safetensors", prior.WeightsPath());
        Assert.True(prior.ParameterCount() > 0);

        Assert.EndsWith("scheduler_config.json", folder["scheduler"].ConfigPath);
        Assert.EndsWith("preprocessor_config.json", folder["image_processor"].ConfigPath);
        Assert.EndsWith("model.safetensors", folder["text_encoder"].WeightsPath());
        Assert.False(folder["tokenizer"].HasWeights);
        Assert.False(folder["tokenizer"].HasConfig);
        Assert.Throws<KeyNotFoundException>(() => folder["unet"]);
    }

    [Fact]
    public void Reads_the_micro_decoder_pipeline_and_golden_pipelines()
    {
        var decoder = ModelFolder.Open(Path.Combine(Fixtures.MicroModel, "decoder"));
        Assert.Equal("KandinskyPipeline", decoder.ClassName);
        Assert.Equal("MultilingualCLIP", decoder["text_encoder"].ClassName);
        Assert.Equal("kandinsky", decoder["text_encoder"].Library);
        Assert.Equal("DDIMScheduler", decoder["scheduler"].ClassName);
        foreach (var c in decoder.Components.Where(c => c.HasWeights))
            using (var store = c.OpenWeights()) Assert.NotEmpty(store.Keys);

        var golden = Directory.GetDirectories(Fixtures.Root + "/golden").SelectMany(d => Directory.GetDirectories(Path.Combine(d, "model")).Where(ModelFolder.IsModelFolder)).ToList();
        Assert.NotEmpty(golden);
        foreach (var path in golden)
        {
            var f = ModelFolder.Open(path);
            Assert.NotNull(f.ClassName);
            // Tokenizers are listed as [null, null] and have no folder.
            Assert.All(f.Components.Where(c => c.ClassName != null && c.Name != "tokenizer"), c => Assert.True(c.HasConfig, $"{path}/{c.Name}"));
        }
    }

    [Fact]
    public void Reads_bare_golden_component_folders()
    {
        var prior = ModelComponent.Open(Path.Combine(Fixtures.Golden("prior_a"), "model"));
        Assert.Equal("PriorTransformer", prior.ClassName);
        using var store = prior.OpenWeights();
        Assert.Contains("proj_in.weight", store.Keys);
        var clip = ModelComponent.Open(Path.Combine(Fixtures.Golden("clip_text_a"), "model"));
        Assert.StartsWith("CLIPTextModel", clip.ClassName);
        Assert.EndsWith("model.safetensors", clip.WeightsPath());
        var f16 = ModelComponent.Open(Path.Combine(Fixtures.Golden("prior_f16_a"), "model"));
        using var f16Store = f16.OpenWeights();
        Assert.True(f16Store.TryGet("proj_in.weight", out var w, out var source));
        using (w) Assert.Equal(Kandinsky.Lab.Tensors.DType.F16, w.DType);
        Assert.EndsWith(".safetensors", source);
    }

    [Fact]
    public void Bad_configs_name_the_file()
    {
        var comp = Path.Combine(_dir, "unet");
        Directory.CreateDirectory(comp);
        File.WriteAllText(Path.Combine(comp, "config.json"), "{\"num_layers\": \"x\"}");
        var c = ModelComponent.Open(comp);
        var e = Assert.Throws<InvalidDataException>(() => c.ReadConfig<PriorConfigProbe>());
        Assert.Contains(Path.Combine(comp, "config.json"), e.Message);
        File.WriteAllText(Path.Combine(comp, "config.json"), "[1]");
        Assert.Contains("expected a JSON object", Assert.Throws<InvalidDataException>(() => ModelComponent.Open(comp).Config).Message);
        File.WriteAllText(Path.Combine(_dir, "model_index.json"), "{\"_class_name\": \"P\", \"unet\": [\"diffusers\", 3]}");
        Assert.Contains("'unet' must hold strings or null", Assert.Throws<InvalidDataException>(() => ModelFolder.Open(_dir)).Message);
        Assert.Throws<FileNotFoundException>(() => ModelFolder.Open(comp));
        var noWeights = Assert.Throws<SafetensorsException>(() => ModelComponent.Open(comp).OpenWeights());
        Assert.Contains("no safetensors weights found", noWeights.Message);
    }

    [Fact]
    public void Config_is_a_mutable_json_object()
    {
        var prior = ModelFolder.Open(Path.Combine(Fixtures.MicroModel, "prior"))["prior"];
        Assert.IsType<JsonObject>(prior.Config);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, prior.ConfigElement.ValueKind);
    }
}
