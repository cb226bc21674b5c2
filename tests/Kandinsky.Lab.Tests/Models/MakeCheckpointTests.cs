using Kandinsky.Lab.Cli;
using Kandinsky.Lab.Models.Checkpoints;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Models;

public sealed class MakeCheckpointTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "kandinsky-lab-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("f32")]
    public void TinyCheckpointFromTheCommandLoadsBackStrictly(string dtype)
    {
        int exit = Program.BuildRoot().Parse(["make-checkpoint", "--preset", "tiny", "--dtype", dtype, "--out", _dir, "--seed", "7"]).Invoke();
        Assert.Equal(0, exit);
        string prior = Path.Combine(_dir, "prior"), decoder = Path.Combine(_dir, "decoder");
        foreach (var f in new[] { "model_index.json", "scheduler/scheduler_config.json", "image_processor/preprocessor_config.json" })
            Assert.True(File.Exists(Path.Combine(prior, f)), f);
        foreach (var f in new[] { "model_index.json", "scheduler/scheduler_config.json", "ddpm_scheduler/scheduler_config.json" })
            Assert.True(File.Exists(Path.Combine(decoder, f)), f);

        // every component through the one strict load route (a missing, unused or mis-shaped weight fails)
        var unetConfig = ConfigFile.Load<UNet2DConditionConfig>(Path.Combine(decoder, "unet", "config.json"));
        using var unet = UNet2DConditionModel.Load(Path.Combine(decoder, "unet"));
        Assert.Equal(dtype == "f16" ? DType.F16 : DType.F32, unet.ConvIn.Weight.DType);
        using var movq = VQModel.Load(Path.Combine(decoder, "movq"));
        using var mclip = MultilingualClip.Load(Path.Combine(decoder, "text_encoder"));
        using var priorNet = PriorTransformer.Load(Path.Combine(prior, "prior"));
        using var clipText = ClipTextModelWithProjection.Load(Path.Combine(prior, "text_encoder"));
        using var clipVision = ClipVisionModelWithProjection.Load(Path.Combine(prior, "image_encoder"));

        // the random weights keep activations finite and of moderate size
        int d = unetConfig.CrossAttentionDim;
        using var sample = Tensor.Full(0.5f, 2, unetConfig.InChannels, 8, 8);
        using var ehs = Tensor.Full(0.1f, 2, 5, unetConfig.EncoderHidDim!.Value);
        using var embeds = Tensor.Full(0.2f, 2, d);
        using var eps = unet.Forward(sample, [999, 10], ehs, embeds, embeds);
        Assert.All(eps.ToArray(), v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 1e3));
        using var latents = Tensor.Full(0.3f, 1, movq.Config.EmbedDim, 4, 4);
        using var image = movq.Decode(latents);
        Assert.All(image.ToArray(), v => Assert.True(float.IsFinite(v) && Math.Abs(v) < 1e3));
    }

    [Theory]
    [InlineData("unet", "--size", "32", "--cfg")]
    [InlineData("prior", "--cfg")]
    [InlineData("movq", "--size", "32")]
    public void NetworkBenchesRunOnTheTinyCheckpoint(string network, params string[] options)
    {
        RandomCheckpoint.Write(Presets.Tiny, _dir, DType.F16, 5);
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int exit;
        try { exit = Program.BuildRoot().Parse(["bench", network, "--model", _dir, "--runs", "1", .. options]).Invoke(); }
        finally { Console.SetOut(console); }
        output.WriteLine(captured.ToString());
        Assert.Equal(0, exit);
        Assert.Matches(@"median \d", captured.ToString());
        Assert.Contains("peak RSS", captured.ToString());
    }

    [Fact]
    public void SameSeedGivesTheSameWeightsAndAnotherSeedDoesNot()
    {
        var preset = Presets.Tiny;
        RandomCheckpoint.Write(preset, Path.Combine(_dir, "a"), DType.F32, 1);
        RandomCheckpoint.Write(preset, Path.Combine(_dir, "b"), DType.F32, 1);
        RandomCheckpoint.Write(preset, Path.Combine(_dir, "c"), DType.F32, 2);
        const string file = "decoder/unet/diffusion_pytorch_model.safetensors";
        var a = File.ReadAllBytes(Path.Combine(_dir, "a", file));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(_dir, "b", file)));
        Assert.NotEqual(a, File.ReadAllBytes(Path.Combine(_dir, "c", file)));
    }

    [Fact]
    public void RandomInitFollowsTheDocumentedScales()
    {
        RandomCheckpoint.Write(Presets.Tiny, _dir, DType.F32, 3);
        using var file = SafetensorsFile.Open(Path.Combine(_dir, "decoder", "unet", UNet2DConditionModel.WeightsFileName));
        static (double mean, double std) Stats(float[] v)
        {
            double m = v.Average();
            return (m, Math.Sqrt(v.Average(x => (x - m) * (x - m))));
        }
        var (wMean, wStd) = Stats(file.ReadFloat32("down_blocks.1.resnets.0.conv1.weight"));   // [64, 32, 3, 3]: fan_in 288
        Assert.InRange(wMean, -0.01, 0.01);
        Assert.InRange(wStd, 0.9 / Math.Sqrt(288), 1.1 / Math.Sqrt(288));
        var (nMean, nStd) = Stats(file.ReadFloat32("down_blocks.1.resnets.0.norm1.weight"));
        Assert.InRange(nMean, 0.99, 1.01);
        Assert.InRange(nStd, 0.005, 0.05);
        var (bMean, bStd) = Stats(file.ReadFloat32("down_blocks.1.resnets.0.conv1.bias"));
        Assert.InRange(bStd, 0.005, 0.05);
    }

    /// <summary>Published sizes: UNet 1.22 B, MoVQ 67 M, prior 1 B, M-CLIP (XLM-R large + projection) 560 M, CLIP ViT-L/14 text 123 M / vision 304 M.</summary>
    [Theory]
    [InlineData("decoder", "unet", 1.20e9, 1.25e9)]
    [InlineData("decoder", "movq", 0.06e9, 0.075e9)]
    [InlineData("decoder", "text_encoder", 0.55e9, 0.57e9)]
    [InlineData("prior", "prior", 0.95e9, 1.05e9)]
    [InlineData("prior", "text_encoder", 0.12e9, 0.13e9)]
    [InlineData("prior", "image_encoder", 0.30e9, 0.31e9)]
    public void RealSizePresetHasThePublishedParameterCounts(string pipeline, string component, double min, double max)
    {
        var preset = Presets.Kandinsky21.Pipelines.Single(p => p.Folder == pipeline).Components.Single(c => c.Folder == component);
        long count = ParameterSpec.Count(preset.Parameters());
        output.WriteLine($"{pipeline}/{component}: {count:N0} parameters");
        Assert.InRange(count, (long)min, (long)max);
    }
}
