using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tests.Visuals;

namespace Kandinsky.Lab.Tests.Analysis;

public class StepStatisticsTests(MicroLabFixture micro) : IClassFixture<MicroLabFixture>
{
    [Fact]
    public void StableFromIsTheFirstIndexOfTheTailThatHolds()
    {
        Assert.Equal(3, StepStatistics.StableFrom([0.5, 0.995, 0.8, 0.991, 1.0], c => c >= 0.99));
        Assert.Equal(0, StepStatistics.StableFrom([1.0, 1.0], c => c >= 0.99));
        Assert.Equal(2, StepStatistics.StableFrom([1.0, 0.2], c => c >= 0.99));   // the last fails: Count
        Assert.Equal(0, StepStatistics.StableFrom(Array.Empty<double>(), c => c >= 0.99));
        Assert.Equal(2, StepStatistics.StableFromLast(["blue", "red", "green", "green"]));
        Assert.Equal(0, StepStatistics.StableFromLast(Array.Empty<string>()));
    }

    [Fact]
    public void ChangesAreTheIndicesWhereAValueDiffersFromTheOneBefore()
    {
        Assert.Equal([2, 4], StepStatistics.Changes(["blue", "blue", "purple", "purple", "red"]));
        Assert.Empty(StepStatistics.Changes(["blue", "blue"]));
        Assert.Empty(StepStatistics.Changes(Array.Empty<string>()));
    }

    [Fact]
    public void MeanStdIsThePopulationMomentsOfEveryElement()
    {
        using var t = Kandinsky.Lab.Tensors.Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var (mean, std) = StepStatistics.MeanStd(t);
        Assert.Equal(2.5, mean, 1e-12);
        Assert.Equal(Math.Sqrt(1.25), std, 1e-9);
    }

    [Fact]
    public void PriorAnalysisSaysWhenThePredictionAndTheNearestProbeSettle()
    {
        using var text = micro.Lab.EncodeText("a person with blue hair");
        using var prior = micro.Lab.Prior(text, new PriorOptions { Steps = 8, GuidanceScale = 4, Seed = 42 });
        var analysis = prior.Analyze(micro.Lab.TextProbes("blue eyes", "brown eyes", "green eyes"));
        // Oracle: the same rules spelled out over the per-step metrics.
        int settled = analysis.Steps.Count + 1;
        for (int i = analysis.Steps.Count - 1; i >= 0 && analysis.Steps[i].CosineToFinal >= 0.9; i--) settled = i + 1;
        Assert.Equal(settled, analysis.SettledStep(0.9));
        Assert.InRange(analysis.SettledStep(), 1, analysis.Steps.Count);   // the last x̂₀ is the final embedding
        var nearest = analysis.Steps.Select(s => analysis.Probes[s.CosineToProbes.ToList().IndexOf(s.CosineToProbes.Max())].Label).ToList();
        Assert.Equal(nearest, analysis.NearestProbes);
        int from = nearest.Count;
        while (from > 0 && nearest[from - 1] == nearest[^1]) from--;
        Assert.Equal(from + 1, analysis.NearestProbeSettledStep);
        Assert.Equal(analysis.Steps.Select(s => s.CosineToProbes.Max() - s.CosineToProbes.Min()), analysis.ProbeSpread);
        // Without probes there is nothing to be nearest to.
        var bare = prior.Analyze();
        Assert.Empty(bare.NearestProbes);
        Assert.Equal(1, bare.NearestProbeSettledStep);
        Assert.All(bare.ProbeSpread, s => Assert.Equal(0, s));
    }
}
