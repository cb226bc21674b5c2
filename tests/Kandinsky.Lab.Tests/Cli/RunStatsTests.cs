using Kandinsky.Lab.Cli.Commands.Bench;

namespace Kandinsky.Lab.Tests.Cli;

public class RunStatsTests
{
    [Theory]
    [InlineData(new[] { 3.0 }, 3.0, 3.0, 3.0)]
    [InlineData(new[] { 2.0, 1.0 }, 1.0, 1.5, 2.0)]                 // two runs: the mean of both, not the slower one
    [InlineData(new[] { 5.0, 1.0, 3.0 }, 1.0, 3.0, 5.0)]
    [InlineData(new[] { 4.0, 1.0, 10.0, 2.0 }, 1.0, 3.0, 10.0)]     // even count: mean of the middle two, whatever the order
    public void Min_median_and_max_of_unsorted_runs(double[] runs, double min, double median, double max)
    {
        Assert.Equal(new RunStats(min, median, max), RunStats.Of(runs));
    }

    [Fact]
    public void No_runs_is_an_error_that_says_so()
    {
        var e = Assert.Throws<ArgumentException>(() => RunStats.Of([]));
        Assert.Contains("no values", e.Message);
    }
}
