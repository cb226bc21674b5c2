using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Schedulers;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Schedulers;

public class SchedulerTests
{
    static SchedulerConfig Ddim => new()
    {
        ClassName = "DDIMScheduler", BetaSchedule = "linear", BetaStart = 0.00085, BetaEnd = 0.012, ClipSample = false,
        SetAlphaToOne = false, StepsOffset = 1,
    };

    static SchedulerConfig UnClip => new()
    {
        ClassName = "UnCLIPScheduler", BetaSchedule = "squaredcos_cap_v2", ClipSample = true, ClipSampleRange = 10,
        PredictionType = "sample", VarianceType = "fixed_small_log",
    };

    [Fact]
    public void UnClipTimestepsRoundHalfToEven()
    {
        var s = new UnClipScheduler(UnClip);
        s.SetTimesteps(3);
        Assert.Equal([999, 500, 0], s.Timesteps);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(1));
    }

    [Fact]
    public void LeadingTimestepsAddTheOffset()
    {
        var s = new DdimScheduler(Ddim);
        s.SetTimesteps(4);
        Assert.Equal([751, 501, 251, 1], s.Timesteps);
        Assert.False(s.NeedsNoise(751));
    }

    [Fact]
    public void TablesAreFloat32CumulativeProducts()
    {
        var table = NoiseSchedule.FromConfig(Ddim);
        Assert.Equal(0.00085f, table.Betas[0]);
        Assert.Equal(0.012f, table.Betas[^1]);
        Assert.Equal(1f - table.Betas[0], table.AlphasCumprod[0]);
        Assert.Equal((float)((double)table.AlphasCumprod[1] * table.Alphas[2]), table.AlphasCumprod[2], 1e-9f);
    }

    [Fact]
    public void StochasticStepWithoutNoiseNamesTheShape()
    {
        var s = new UnClipScheduler(UnClip);
        s.SetTimesteps(5);
        using var x = Tensor.Zeros(2, 12);
        var ex = Assert.Throws<ArgumentNullException>(() => s.Step(x, 999, x, noise: null, prevTimestep: 749));
        Assert.Contains("[2, 12]", ex.Message);
    }

    [Fact]
    public void UnsupportedConfigValuesAreNamed()
    {
        var ex = Assert.Throws<InvalidDataException>(() => SchedulerFactory.Create(Ddim with { PredictionType = "v_prediction" }));
        Assert.Contains("prediction_type \"v_prediction\"", ex.Message);
        var cls = Assert.Throws<InvalidDataException>(() => SchedulerFactory.Create(Ddim with { ClassName = "EulerDiscreteScheduler" }));
        Assert.Contains("EulerDiscreteScheduler", cls.Message);
    }

    [Fact]
    public void Img2ImgStrengthSelectsTheTail()
    {
        var s = new DdimScheduler(Ddim);
        s.SetTimesteps(10);
        Assert.Equal(s.Timesteps.Skip(7), Img2ImgStart.RemainingTimesteps(s, 10, 0.3));
        Assert.Equal(s.Timesteps, Img2ImgStart.RemainingTimesteps(s, 10, 1.0));
        Assert.Empty(Img2ImgStart.RemainingTimesteps(s, 10, 0.0));
        Assert.Equal(298, Img2ImgStart.LatentTimestep(1000, 0.3));
    }

    [Fact]
    public void QuantileInterpolatesBetweenOrderStatistics()
    {
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(i => i / 10f)).Where(a => a.Length > 0).ToArbitrary(),
                Gen.Choose(0, 1000).Select(i => i / 1000f).ToArbitrary(),
                (values, q) =>
                {
                    var sorted = values.Order().ToArray();
                    float rank = q * (sorted.Length - 1);
                    int lo = (int)rank;
                    float got = SchedulerMath.Quantile(values, q);
                    bool inRange = got >= sorted[lo] - 1e-4f && got <= sorted[Math.Min(lo + 1, sorted.Length - 1)] + 1e-4f;
                    bool exactAtRank = rank != lo || got == sorted[lo];
                    return inRange && exactAtRank;
                })
            .QuickCheckThrowOnFailure();
    }
}

public class SchedulerGeneratorTests
{
    [Fact]
    public void StepDrawsNoiseOnlyWhenStochastic()
    {
        var config = SchedulerConfig.Load(Path.Combine(Fixtures.Golden("scheduler_unclip_a"), "model", "scheduler_config.json"));
        var unclip = new UnClipScheduler(config);
        unclip.SetTimesteps(2);   // 999, 0
        using var x = Tensor.Full(0.5f, 1, 4);
        using var eps = Tensor.Full(0.25f, 1, 4);

        var generator = new TorchGenerator(7);
        using (var last = unclip.Step(eps, 0, x, generator)) { }        // t = 0: deterministic, no draw
        using var firstDraw = new TorchGenerator(7).Randn(1, 4);
        using var next = generator.Randn(1, 4);
        Assert.Equal(firstDraw.ToArray(), next.ToArray());

        var replay = new TorchGenerator(7);
        using var noise = replay.Randn(1, 4);
        using var viaGenerator = unclip.Step(eps, 999, x, new TorchGenerator(7), prevTimestep: 0);
        using var viaTensor = unclip.Step(eps, 999, x, noise, prevTimestep: 0);
        Assert.Equal(viaTensor.PrevSample.ToArray(), viaGenerator.PrevSample.ToArray());
    }
}
