using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// Stage 1: a prompt batch read twice. The prior's side: CLIP tokenizations and the CLIP text encoder's
/// embeddings and hidden states for the prompts, the negative prompts (when given) and the empty prompt the
/// prior's guidance uses. The decoder's side: XLM-R tokenizations and MultilingualCLIP's pooled embedding and
/// hidden states for the prompts and the negative prompts ("" by default).
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class TextEncoding : IDisposable
{
    internal TextEncoding(IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts,
        IReadOnlyList<Tokenization>? clipTokens, IReadOnlyList<Tokenization>? clipNegativeTokens, Tokenization? clipEmptyTokens,
        IReadOnlyList<Tokenization>? xlmrTokens, IReadOnlyList<Tokenization>? xlmrNegativeTokens,
        PriorConditioning clip, PriorConditioning? clipNegative, PriorConditioning clipEmpty,
        DecoderConditioning mclip, DecoderConditioning mclipNegative)
    {
        Prompts = prompts;
        NegativePrompts = negativePrompts;
        ClipTokens = clipTokens;
        ClipNegativeTokens = clipNegativeTokens;
        ClipEmptyTokens = clipEmptyTokens;
        XlmrTokens = xlmrTokens;
        XlmrNegativeTokens = xlmrNegativeTokens;
        Clip = clip;
        ClipNegative = clipNegative;
        ClipEmpty = clipEmpty;
        Mclip = mclip;
        MclipNegative = mclipNegative;
    }

    public IReadOnlyList<string> Prompts { get; }
    /// <summary>Null when no negative prompt was given (the prior then uses the zero-image embedding as negative).</summary>
    public IReadOnlyList<string>? NegativePrompts { get; }
    /// <summary>CLIP tokenizations (null when the encoding was built from token ids, as in parity runs).</summary>
    public IReadOnlyList<Tokenization>? ClipTokens { get; }
    public IReadOnlyList<Tokenization>? ClipNegativeTokens { get; }
    public Tokenization? ClipEmptyTokens { get; }
    public IReadOnlyList<Tokenization>? XlmrTokens { get; }
    /// <summary>XLM-R tokenizations of the decoder's unconditional text: the negative prompts, or "" for each prompt.</summary>
    public IReadOnlyList<Tokenization>? XlmrNegativeTokens { get; }

    /// <summary>CLIP text_embeds [B, D] and last_hidden_state [B, 77, D] of the prompts, with their mask.</summary>
    public PriorConditioning Clip { get; }
    public PriorConditioning? ClipNegative { get; }
    /// <summary>The empty prompt "" (one row): the prior's unconditional branch.</summary>
    public PriorConditioning ClipEmpty { get; }
    /// <summary>MCLIP projected pooled embedding [B, D] and hidden states [B, 77, H] of the prompts.</summary>
    public DecoderConditioning Mclip { get; }
    /// <summary>MCLIP of the negative prompts ("" when none were given): the decoder's unconditional branch.</summary>
    public DecoderConditioning MclipNegative { get; }

    public int Count => Prompts.Count;

    /// <summary>The CLIP text embedding of prompt <paramref name="index"/> as an <see cref="ImageEmbedding"/>-comparable vector.</summary>
    public float[] ClipTextEmbedding(int index)
    {
        using var row = Clip.TextEmbeds.Select(0, index);
        return row.ToArray();
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"TextEncoding of {Count} prompt(s)");
        if (NegativePrompts != null) sb.Append($" with negative prompt(s)");
        sb.Append($": CLIP text_embeds {Clip.TextEmbeds.ShapeString}, hidden {Clip.HiddenStates.ShapeString}; MCLIP pooled {Mclip.PromptEmbeds.ShapeString}, hidden {Mclip.HiddenStates.ShapeString}");
        for (int i = 0; i < Count; i++)
        {
            sb.Append($"\n  [{i}] \"{Prompts[i]}\"");
            if (ClipTokens != null) sb.Append($" — CLIP {ClipTokens[i].AttendedLength} tokens{(ClipTokens[i].IsTruncated ? " (truncated)" : "")}");
            if (XlmrTokens != null) sb.Append($", XLM-R {XlmrTokens[i].AttendedLength} tokens{(XlmrTokens[i].IsTruncated ? " (truncated)" : "")}");
        }
        return sb.ToString();
    }

    public void Dispose()
    {
        Clip.Dispose();
        ClipNegative?.Dispose();
        ClipEmpty.Dispose();
        Mclip.Dispose();
        MclipNegative.Dispose();
    }
}
