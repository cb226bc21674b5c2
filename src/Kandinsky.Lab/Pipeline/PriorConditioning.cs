using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// CLIP text conditioning of the prior for some rows: text_embeds [R, D], last_hidden_state [R, L, D] and the
/// tokenizer's keep mask [R, L] (1 = token, 0 = padding), the one mask form from tokenizer to network.
/// </summary>
public sealed record PriorConditioning(Tensor TextEmbeds, Tensor HiddenStates, long[,] AttentionMask) : IDisposable
{
    public int Rows => TextEmbeds.Size(0);

    /// <summary>The given rows, in order (rows may repeat).</summary>
    public PriorConditioning SelectRows(IReadOnlyList<int> rows)
    {
        var idx = rows.Select(r => (long)r).ToArray();
        return new PriorConditioning(F.IndexSelect(TextEmbeds, 0, idx), F.IndexSelect(HiddenStates, 0, idx), Pipeline.Rows.Select(AttentionMask, rows));
    }

    /// <summary>The rows of <paramref name="a"/> followed by those of <paramref name="b"/>.</summary>
    public static PriorConditioning Concat(PriorConditioning a, PriorConditioning b) =>
        new(F.Cat([a.TextEmbeds, b.TextEmbeds], 0), F.Cat([a.HiddenStates, b.HiddenStates], 0), Pipeline.Rows.Concat(a.AttentionMask, b.AttentionMask));

    public void Dispose()
    {
        TextEmbeds.Dispose();
        HiddenStates.Dispose();
    }
}
