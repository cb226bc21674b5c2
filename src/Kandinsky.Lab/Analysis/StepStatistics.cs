namespace Kandinsky.Lab.Analysis;

/// <summary>
/// Small summaries of a run's per-step (or per-point) values, for sentences that report what a run did: from which
/// step a reading holds for good, where a reading changes, the mean and standard deviation of a tensor.
/// </summary>
public static class StepStatistics
{
    /// <summary>The 0-based index from which every value satisfies <paramref name="holds"/>; <c>values.Count</c> when the last one does not.</summary>
    public static int StableFrom<T>(IReadOnlyList<T> values, Func<T, bool> holds)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(holds);
        int from = values.Count;
        while (from > 0 && holds(values[from - 1])) from--;
        return from;
    }

    /// <summary>The 0-based index from which every value equals the last one (0 for an empty list).</summary>
    public static int StableFromLast<T>(IReadOnlyList<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return 0;
        var last = values[^1];
        return StableFrom(values, v => EqualityComparer<T>.Default.Equals(v, last));
    }

    /// <summary>The indices i ≥ 1 where <c>values[i]</c> differs from <c>values[i − 1]</c>, in order.</summary>
    public static IReadOnlyList<int> Changes<T>(IReadOnlyList<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var changes = new List<int>();
        for (int i = 1; i < values.Count; i++)
            if (!EqualityComparer<T>.Default.Equals(values[i], values[i - 1])) changes.Add(i);
        return changes;
    }

    /// <summary>The mean and (population) standard deviation of every element of a tensor.</summary>
    public static (double Mean, double Std) MeanStd(Tensors.Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var v = t.ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = 0, sq = 0;
        foreach (var f in v) { mean += f; sq += (double)f * f; }
        mean /= v.Length;
        return (mean, Math.Sqrt(Math.Max(sq / v.Length - mean * mean, 0)));
    }
}
