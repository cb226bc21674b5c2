namespace Kandinsky.Lab.Tensors;

/// <summary>
/// How many threads kernels may use. Work is always split over independent output tiles (never a
/// reduction across threads), so results are bit-identical for any thread count.
/// </summary>
public static class Parallelism
{
    static int _threads = Environment.ProcessorCount;

    /// <summary>Threads used by kernels (default: the processor count).</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Parallelism.Threads must be at least 1.");
    }

    /// <summary>Runs <paramref name="body"/> for every index in [0, count), on up to <see cref="Threads"/> threads.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (_threads == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _threads }, body);
    }
}
