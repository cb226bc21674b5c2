using Kandinsky.Lab.Analysis;

namespace Kandinsky.Lab.Tests.Analysis;

public class BleedStatisticsTests
{
    /// <summary>Wilson score intervals from Newcombe (1998), Statistics in Medicine 17:857, table I (method 3).</summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void WilsonMatchesPublishedIntervals(int k, int n, double low, double high)
    {
        var e = BleedStatistics.Wilson(k, n);
        Assert.Equal((double)k / n, e.Value, 12);
        Assert.Equal(low, e.Low, 4);
        Assert.Equal(high, e.High, 4);
    }

    [Fact]
    public void WilsonRejectsImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BleedStatistics.Wilson(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => BleedStatistics.Wilson(0, 0));
    }

    [Fact]
    public void BootstrapIsReproducibleAndBracketsTheMean()
    {
        var values = Enumerable.Range(0, 50).Select(i => Math.Sin(i) * 0.3 + 0.5).ToList();
        var a = BleedStatistics.BootstrapMean(values);
        Assert.Equal(a, BleedStatistics.BootstrapMean(values));
        Assert.Equal(values.Average(), a.Value, 12);
        Assert.InRange(a.Value, a.Low, a.High);
        // The percentile interval of a mean of 50 values is about ±1.96 standard errors.
        double se = Math.Sqrt(values.Sum(v => (v - a.Value) * (v - a.Value)) / (values.Count - 1) / values.Count);
        Assert.InRange(a.High - a.Low, 3.4 * se, 4.4 * se);
    }

    [Fact]
    public void NaNPoisonsTheBootstrap()
    {
        var e = BleedStatistics.BootstrapMean([0.1, double.NaN, 0.3]);
        Assert.True(double.IsNaN(e.Value) && double.IsNaN(e.Low) && double.IsNaN(e.High));
    }
}
