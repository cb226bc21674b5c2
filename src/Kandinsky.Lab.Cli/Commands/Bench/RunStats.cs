namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>Min, median and max of repeated timings; the median of an even count is the mean of the middle two.</summary>
internal readonly record struct RunStats(double Min, double Median, double Max)
{
    public static RunStats Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("RunStats.Of: no values (at least one timed run is needed).", nameof(values));
        int mid = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new RunStats(sorted[0], median, sorted[^1]);
    }

    /// <summary>"min 1.00 / median 1.10 / max 1.30 s".</summary>
    public override string ToString() => $"min {Min:F2} / median {Median:F2} / max {Max:F2} s";
}
