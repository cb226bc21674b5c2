using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>Small tensor helpers both pipelines' loops use.</summary>
internal static class StageTensors
{
    /// <summary>Integers (timesteps) as a float tensor [n], for traces.</summary>
    public static Tensor IntTensor(IReadOnlyList<int> values) => Tensor.FromArray(values.Select(v => (float)v).ToArray(), values.Count);

    /// <summary>A keep mask [R, L] as a float tensor of 0 and 1, for traces.</summary>
    public static Tensor MaskTensor(long[,] mask)
    {
        int rows = mask.GetLength(0), len = mask.GetLength(1);
        var t = Tensor.Empty(rows, len);
        var span = t.AsSpan();
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < len; i++) span[r * len + i] = mask[r, i] != 0 ? 1f : 0f;
        return t;
    }

    /// <summary>Throws naming <paramref name="where"/> when <paramref name="t"/> holds a NaN or an infinity.</summary>
    public static void RequireFinite(Tensor t, string where)
    {
        using var c = t.Contiguous();
        foreach (var v in c.AsSpan())
            if (!float.IsFinite(v)) throw new ArithmeticException($"{where} produced NaN or infinity (shape {t.ShapeString}).");
    }
}

/// <summary>Row selection and stacking of 2-d arrays (token ids, attention masks).</summary>
internal static class Rows
{
    /// <summary>The given rows, in order (rows may repeat).</summary>
    public static T[,] Select<T>(T[,] source, IReadOnlyList<int> rows)
    {
        int len = source.GetLength(1);
        var result = new T[rows.Count, len];
        for (int r = 0; r < rows.Count; r++)
            for (int i = 0; i < len; i++) result[r, i] = source[rows[r], i];
        return result;
    }

    /// <summary>The rows of <paramref name="a"/> followed by those of <paramref name="b"/>.</summary>
    public static T[,] Concat<T>(T[,] a, T[,] b)
    {
        int len = a.GetLength(1), ra = a.GetLength(0);
        if (b.GetLength(1) != len) throw new ArgumentException($"Rows.Concat: row lengths {len} and {b.GetLength(1)} differ.");
        var result = new T[ra + b.GetLength(0), len];
        for (int r = 0; r < result.GetLength(0); r++)
            for (int i = 0; i < len; i++) result[r, i] = r < ra ? a[r, i] : b[r - ra, i];
        return result;
    }
}
