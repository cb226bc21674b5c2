namespace Kandinsky.Lab.Models.Common;

/// <summary>Checks and flattens [B, L] token id batches.</summary>
public static class TokenIds
{
    /// <summary>Row-major copy of <paramref name="ids"/>; every id must lie in [0, vocabSize).</summary>
    public static long[] Flatten(long[,] ids, int vocabSize, string what)
    {
        int rows = ids.GetLength(0), cols = ids.GetLength(1);
        var flat = new long[rows * cols];
        for (int b = 0; b < rows; b++)
            for (int j = 0; j < cols; j++)
            {
                long id = ids[b, j];
                if (id < 0 || id >= vocabSize)
                    throw new ArgumentOutOfRangeException(nameof(ids), $"{what}[{b}, {j}] = {id} is outside the vocabulary [0, {vocabSize}).");
                flat[b * cols + j] = id;
            }
        return flat;
    }
}
