using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Pipeline;

/// <summary>Padded token ids and their attention mask for a batch of texts, as the text encoders receive them.</summary>
public sealed record TokenBatch(long[,] InputIds, long[,] AttentionMask)
{
    public int Rows => InputIds.GetLength(0);
    public int Length => InputIds.GetLength(1);

    /// <summary>Stacks tokenizations made by a tokenizer (each already padded to its max length).</summary>
    public static TokenBatch From(IReadOnlyList<Tokenization> tokenizations)
    {
        if (tokenizations.Count == 0) throw new ArgumentException("TokenBatch.From: no tokenizations given.");
        int len = tokenizations[0].InputIds.Count;
        var ids = new long[tokenizations.Count, len];
        var mask = new long[tokenizations.Count, len];
        for (int r = 0; r < tokenizations.Count; r++)
        {
            var t = tokenizations[r];
            if (t.InputIds.Count != len)
                throw new ArgumentException($"TokenBatch.From: tokenization {r} has {t.InputIds.Count} ids, expected {len} like the first.");
            for (int i = 0; i < len; i++) { ids[r, i] = t.InputIds[i]; mask[r, i] = t.AttentionMask[i]; }
        }
        return new TokenBatch(ids, mask);
    }

    /// <summary>Pads unpadded id rows (special tokens included) to <paramref name="length"/> with <paramref name="padId"/>; mask 1 on real tokens.</summary>
    public static TokenBatch Pad(IReadOnlyList<long[]> rows, int length, long padId)
    {
        var ids = new long[rows.Count, length];
        var mask = new long[rows.Count, length];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length > length)
                throw new ArgumentException($"TokenBatch.Pad: row {r} has {rows[r].Length} ids, more than the length {length}.");
            for (int i = 0; i < length; i++)
            {
                bool real = i < rows[r].Length;
                ids[r, i] = real ? rows[r][i] : padId;
                mask[r, i] = real ? 1 : 0;
            }
        }
        return new TokenBatch(ids, mask);
    }
}
