namespace Kandinsky.Lab.Analysis;

/// <summary>A point estimate with its 95% interval.</summary>
public readonly record struct Estimate(double Value, double Low, double High);

/// <summary>The 95% intervals of the bleed ledger: Wilson's score interval for shares, a percentile bootstrap for means.</summary>
public static class BleedStatistics
{
    const double Z95 = 1.959963984540054;

    /// <summary>k of n as a share with Wilson's score interval (well behaved at 0 and n, unlike the normal approximation).</summary>
    public static Estimate Wilson(int k, int n)
    {
        if (n <= 0 || k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"Wilson: {k} of {n}; expected 0 ≤ k ≤ n and n > 0.");
        double p = (double)k / n, z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new Estimate(p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// The mean with a percentile bootstrap interval (<paramref name="resamples"/> resamples drawn from a seeded
    /// generator, so the same values give the same interval). NaN in the values gives NaN everywhere.
    /// </summary>
    public static Estimate BootstrapMean(IReadOnlyList<double> values, int resamples = 2000, int seed = 12345)
    {
        if (values.Count == 0) throw new ArgumentException("BootstrapMean: no values.", nameof(values));
        double mean = values.Average();
        if (!double.IsFinite(mean)) return new Estimate(mean, double.NaN, double.NaN);
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < values.Count; i++) sum += values[random.Next(values.Count)];
            means[r] = sum / values.Count;
        }
        Array.Sort(means);
        return new Estimate(mean, means[(int)(0.025 * (resamples - 1))], means[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }
}
