using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>The stage API on the embedded Kandinsky-Micro (few steps: these test the plumbing; parity is tested by the traces).</summary>
public sealed class MicroPipelineTests : IClassFixture<MicroPipelineTests.Lab>
{
    public sealed class Lab : IDisposable
    {
        public KandinskyLab Model { get; } = KandinskyLab.Micro();
        public void Dispose() => Model.Dispose();
    }

    readonly KandinskyLab _lab;

    public MicroPipelineTests(Lab lab) => _lab = lab.Model;

    [Fact]
    public void MicroIsFoundAndSizedFromItsConfig()
    {
        Assert.True(Directory.Exists(Path.Combine(KandinskyLab.MicroPath, "decoder", "unet")));
        Assert.Equal(64, _lab.DefaultImageSize);
    }

    [Fact]
    public void EncodeTextKeepsBothTokenizationsAndEncodings()
    {
        using var text = _lab.EncodeText(["a person with blue hair", "человек с рыжими волосами"]);
        Assert.Equal(2, text.Count);
        Assert.Equal([2, 77, 64], text.Clip.HiddenStates.ShapeArray());
        Assert.Equal([2, 64], text.Mclip.PromptEmbeds.ShapeArray());
        Assert.Equal([1, 77, 64], text.ClipEmpty.HiddenStates.ShapeArray());
        Assert.Equal(77, text.XlmrTokens![1].InputIds.Count);
        Assert.Null(text.NegativePrompts);
        Assert.Equal("", text.XlmrNegativeTokens![0].Text);
    }

    [Fact]
    public void SameSeedGivesTheSameImageAndADifferentSeedDoesNot()
    {
        using var a = _lab.Generate("a person with red hair", new PriorOptions { Steps = 3, Seed = 7 }, new DecodeOptions { Steps = 3 });
        using var b = _lab.Generate("a person with red hair", new PriorOptions { Steps = 3, Seed = 7 }, new DecodeOptions { Steps = 3 });
        using var c = _lab.Generate("a person with red hair", new PriorOptions { Steps = 3, Seed = 8 }, new DecodeOptions { Steps = 3 });
        Assert.Equal(a.Decoder.RawImages.ToArray(), b.Decoder.RawImages.ToArray());
        Assert.NotEqual(a.Decoder.RawImages.ToArray(), c.Decoder.RawImages.ToArray());
        Assert.Equal(7UL, a.Prior.Options.Seed);
        Assert.Equal(64, a.Images[0].Width);
    }

    [Fact]
    public void ReleasingWeightMemoryBetweenStagesChangesNoNumber()
    {
        using var fresh = KandinskyLab.Micro();
        fresh.ReleaseMemoryBetweenStages = false;
        using var kept = fresh.Generate("a person with green hair", new PriorOptions { Steps = 3, Seed = 11 }, new DecodeOptions { Steps = 3 });
        fresh.ReleaseMemoryBetweenStages = true;
        using var released = fresh.Generate("a person with green hair", new PriorOptions { Steps = 3, Seed = 11 }, new DecodeOptions { Steps = 3 });
        using var again = fresh.Generate("a person with green hair", new PriorOptions { Steps = 3, Seed = 11 }, new DecodeOptions { Steps = 3 });
        Assert.Equal(kept.Decoder.RawImages.ToArray(), released.Decoder.RawImages.ToArray());
        Assert.Equal(kept.Decoder.RawImages.ToArray(), again.Decoder.RawImages.ToArray());
        Assert.Equal(kept.Prior.ImageEmbeds.Tensor.ToArray(), again.Prior.ImageEmbeds.Tensor.ToArray());
    }

    [Fact]
    public void StagesKeepEveryStepAndReportProgress()
    {
        using var text = _lab.EncodeText("a person with green eyes");
        var seen = new List<int>();
        var progress = new List<StageProgress>();
        using var prior = _lab.Prior(text, new PriorOptions { Steps = 4, GuidanceScale = 4, Seed = 1, Callbacks = new("prior") { OnStep = s => seen.Add(s.Timestep), Progress = new Collect(progress) } });
        Assert.Equal(prior.Timesteps, seen);
        Assert.Equal(4, prior.Steps.Count);
        Assert.All(prior.Steps, s => Assert.NotNull(s.PredictionUncond));
        Assert.Equal("zero image", prior.NegativeImageEmbeds.Labels[0]);
        using var decoder = _lab.Decode(prior, text, new DecodeOptions { Steps = 3, Seed = 2, DecodePreviews = true });
        Assert.Equal(3, decoder.Steps.Count);
        Assert.Equal(3, decoder.Previews.Count);
        Assert.Equal(64, decoder.Previews[0][0].Width);
        Assert.Equal([4, 4], progress.Where(p => p.Stage == "prior").Select(p => p.Total).Distinct().Append(progress.Count(p => p.Stage == "prior")).ToArray());
    }

    [Fact]
    public void NegativePromptAndSeveralImagesPerPromptShapeTheBatch()
    {
        using var text = _lab.EncodeText(["a person with blue hair"], ["a person with brown hair"]);
        using var prior = _lab.Prior(text, new PriorOptions { Steps = 2, Seed = 3, ImagesPerPrompt = 3 });
        Assert.Equal([3, 64], prior.ImageEmbeds.Tensor.ShapeArray());
        Assert.Equal([3, 64], prior.NegativeImageEmbeds.Tensor.ShapeArray());
        Assert.Equal("negative: a person with brown hair", prior.NegativeImageEmbeds.Labels[0]);
        Assert.Equal([6, 64], prior.Steps[0].Latents.ShapeArray());
        using var decoder = _lab.Decode(prior, text, new DecodeOptions { Steps = 2, Seed = 4, NegativeEmbedding = NegativeEmbeddingChoice.ZeroImage });
        Assert.Equal(3, decoder.Images.Count);
    }

    [Fact]
    public void CancellationStopsAStage()
    {
        using var text = _lab.EncodeText("a person");
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => _lab.Prior(text, new PriorOptions { Steps = 5, Seed = 1, Callbacks = new("prior") { OnStep = _ => cts.Cancel(), CancellationToken = cts.Token } }));
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        using var text = _lab.EncodeText("a person");
        using var wrong = Tensor.Zeros(2, 64);
        var e = Assert.Throws<ArgumentException>(() => _lab.Prior(text, new PriorOptions { Steps = 2, Latents = wrong }));
        Assert.Contains("[2, 64]", e.Message);
        Assert.Contains("[1, 64]", e.Message);
        Assert.Throws<ArgumentException>(() => _lab.EncodeText(["a", "b"], ["only one"]));
        Assert.Throws<DirectoryNotFoundException>(() => KandinskyLab.Load(Path.GetTempPath()));
    }

    [Fact]
    public void LatentSizesAreRoundedAsGetNewHW()
    {
        Assert.Equal((16, 16), _lab.DecoderPipeline.LatentSize(64, 64));
        Assert.Equal((8, 20), _lab.DecoderPipeline.LatentSize(30, 70));   // ceil(30 / 16)·4, ceil(70 / 16)·4
    }

    sealed class Collect(List<StageProgress> into) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => into.Add(value);
    }
}
