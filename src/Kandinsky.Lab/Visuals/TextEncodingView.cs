using System.Globalization;
using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// HTML of a <see cref="TextEncoding"/>: the dual tokenizer view — each prompt as CLIP (the prior's tokenizer) and
/// XLM-R (the decoder's) read it, side by side, with the position each token takes in input_ids and the point
/// where the prompt is cut off — then the embeddings' norms and, for several prompts, their cosine similarities.
/// </summary>
public static class TextEncodingView
{
    /// <summary>Dropped tokens listed after the cut; the rest are counted.</summary>
    public const int MaxDroppedShown = 10;

    public static string Render(TextEncoding text)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < text.Count; i++)
        {
            sb.Append("<div class=\"kl-prompt\" style=\"margin:6px 0\"><div>prompt ").Append(i).Append(": <code>").Append(Html.Encode(text.Prompts[i])).Append("</code>");
            if (text.NegativePrompts != null) sb.Append(" — negative: <code>").Append(Html.Encode(text.NegativePrompts[i])).Append("</code>");
            sb.Append("</div>");
            sb.Append(DualTokenizerView(text.ClipTokens?[i], text.XlmrTokens?[i])).Append("</div>");
        }
        sb.Append(EmbeddingSummary(text).ToHtml());
        if (text.Count > 1)
        {
            var projector = new EmbeddingProjector(title: "CLIP text embeddings").AddText(text);
            sb.Append(projector.SimilarityHeatmap().ToHtml());
        }
        return Html.Section($"Text encoding of {text.Count} prompt(s)", sb.ToString());
    }

    /// <summary>The dual tokenizer view of prompt <paramref name="index"/> alone.</summary>
    public static HtmlFragment Tokens(this TextEncoding text, int index = 0)
    {
        if (index < 0 || index >= text.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"TextEncoding has {text.Count} prompt(s).");
        var plain = $"prompt {index}: \"{text.Prompts[index]}\"\n{text.ClipTokens?[index]}\n{text.XlmrTokens?[index]}";
        return new HtmlFragment(DualTokenizerView(text.ClipTokens?[index], text.XlmrTokens?[index]), plain);
    }

    /// <summary>The two tokenizations of one prompt side by side (either may be missing when the encoding came from ids).</summary>
    public static string DualTokenizerView(Tokenization? clip, Tokenization? xlmr)
    {
        var sb = new StringBuilder("<div class=\"kl-dual-tokens\" style=\"display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap\">");
        sb.Append(TokenTable("CLIP — the prior's text encoder", clip));
        sb.Append(TokenTable("XLM-R — the decoder's text encoder (MultilingualCLIP)", xlmr));
        return sb.Append("</div>").ToString();
    }

    /// <summary>
    /// One tokenization: a row per input position (begin token, content tokens, end token), the source text of each
    /// token, a marked cut where truncation drops the rest, the first dropped tokens greyed, and the padding summarized.
    /// </summary>
    public static string TokenTable(string title, Tokenization? t)
    {
        if (t == null) return $"<div><div style=\"font-weight:600\">{Html.Encode(title)}</div><div>(no tokenization: encoded from token ids)</div></div>";
        int length = t.InputIds.Count, attended = t.AttendedLength;
        int kept = t.TruncatedAt ?? t.Ids.Count;
        var sb = new StringBuilder("<div class=\"kl-tokens\">");
        sb.Append("<div style=\"font-weight:600\">").Append(Html.Encode(title)).Append("</div><div style=\"font-size:12px\">")
          .Append(t.Ids.Count).Append(" tokens; ").Append(attended).Append(" of ").Append(length).Append(" positions attended");
        if (t.TruncatedAt is int cut)
            sb.Append("; <span style=\"color:#b00020\">truncated: ").Append(t.Ids.Count - cut).Append(" token(s) after token ").Append(cut).Append(" dropped</span>");
        sb.Append("</div>");
        sb.Append("<table class=\"kl-table\" style=\"font-family:monospace;font-size:12px;border-collapse:collapse\"><thead><tr><th>pos</th><th>token</th><th>id</th><th>text</th></tr></thead><tbody>");
        Row(sb, 0, "(begin)", t.InputIds[0], "", "color:#777");
        for (int i = 0; i < t.Ids.Count; i++)
        {
            if (i == kept)
            {
                Row(sb, attended - 1, "(end)", t.InputIds[attended - 1], "", "color:#777");
                sb.Append("<tr><td colspan=\"4\" style=\"border-top:2px dashed #b00020;color:#b00020;text-align:center\">✂ cut here: the model never sees the tokens below</td></tr>");
            }
            if (i == kept + MaxDroppedShown)
            {
                sb.Append("<tr style=\"color:#aaa\"><td>–</td><td colspan=\"3\">… ").Append(t.Ids.Count - i).Append(" more dropped token(s)</td></tr>");
                break;
            }
            var source = t.Text.Substring(t.Spans[i].Start, t.Spans[i].Length);
            Row(sb, i < kept ? i + 1 : null, t.Tokens[i], t.Ids[i], source, i < kept ? null : "color:#aaa");
        }
        if (kept == t.Ids.Count) Row(sb, attended - 1, "(end)", t.InputIds[attended - 1], "", "color:#777");
        if (length > attended)
            sb.Append("<tr style=\"color:#777\"><td>").Append(attended).Append('–').Append(length - 1).Append("</td><td colspan=\"3\">padding (id ")
              .Append(t.InputIds[length - 1]).Append(") × ").Append(length - attended).Append(", masked out</td></tr>");
        return sb.Append("</tbody></table></div>").ToString();
    }

    static void Row(StringBuilder sb, int? position, string token, int id, string source, string? style)
    {
        sb.Append(style == null ? "<tr>" : $"<tr style=\"{style}\">")
          .Append("<td>").Append(position?.ToString(CultureInfo.InvariantCulture) ?? "–").Append("</td>")
          .Append("<td>").Append(Html.Encode(Visible(token))).Append("</td>")
          .Append("<td>").Append(id).Append("</td>")
          .Append("<td>").Append(Html.Encode(source)).Append("</td></tr>");
    }

    /// <summary>Control and invisible characters as \uXXXX so every token is visible.</summary>
    static string Visible(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format) sb.Append($"\\u{(int)c:X4}");
            else sb.Append(c);
        return sb.ToString();
    }

    /// <summary>Norms of the embeddings each encoder hands on, per prompt.</summary>
    public static Table EmbeddingSummary(TextEncoding text)
    {
        var table = new Table("prompt", "CLIP tokens", "XLM-R tokens", "|CLIP text_embeds|", "|MCLIP pooled|") { Caption = "Embeddings" };
        for (int i = 0; i < text.Count; i++)
        {
            using var pooled = text.Mclip.PromptEmbeds.Select(0, i);
            table.AddRow(text.Prompts[i], text.ClipTokens?[i].AttendedLength, text.XlmrTokens?[i].AttendedLength,
                Norm(text.ClipTextEmbedding(i)), Norm(pooled.ToArray()));
        }
        return table;
    }

    static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
}
