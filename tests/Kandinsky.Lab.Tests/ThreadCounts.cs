using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests;

/// <summary>Runs an op at several <see cref="Parallelism.Threads"/> settings (restoring it after) to check that its bits do not depend on them.</summary>
internal static class ThreadCounts
{
    /// <summary>Whether <paramref name="run"/> gives the same bits at each thread count in <paramref name="threads"/> (default 1 and 2).</summary>
    public static bool SameBits(Func<Tensor> run, params int[] threads)
    {
        if (threads.Length == 0) threads = [1, 2];
        int saved = Parallelism.Threads;
        try
        {
            float[]? first = null;
            foreach (int count in threads)
            {
                Parallelism.Threads = count;
                using var result = run();
                var values = result.ToArray();
                if (first == null) first = values;
                else if (!first.AsSpan().SequenceEqual(values)) return false;
            }
            return true;
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}
