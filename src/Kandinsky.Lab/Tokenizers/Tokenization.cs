using System.Net;
using System.Text;
using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>Where a token came from in the original prompt: UTF-16 offset and length in <see cref="Tokenization.Text"/>.</summary>
public readonly record struct TokenSpan(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// One prompt tokenized the way a Kandinsky pipeline tokenizes it. <see cref="Ids"/> holds every content token
/// (no special tokens, no padding, not truncated); <see cref="InputIds"/> the fixed-length model input
/// (begin token, the first <c>MaxLength − 2</c> ids, end token, padding) and <see cref="AttentionMask"/> its mask.
/// </summary>
/// <remarks>
/// Spans map each token back to <see cref="Text"/>. They are exact for added tokens and for text that
/// normalization changes only by case, whitespace and (XLM-R) its character map; tokens cut from one character
/// get that character's whole span. Where CLIP's text repair (ftfy) rewrote a chunk, every token of that chunk
/// gets the span of the whole chunk.
/// </remarks>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class Tokenization : IRichDisplay
{
    public Tokenization(string kind, string text, IReadOnlyList<string> normalizedSegments, IReadOnlyList<string> tokens,
        IReadOnlyList<int> ids, IReadOnlyList<TokenSpan> spans, IReadOnlyList<int> inputIds, IReadOnlyList<int> attentionMask,
        int maxContentTokens)
    {
        if (tokens.Count != ids.Count || spans.Count != ids.Count)
            throw new ArgumentException($"tokens ({tokens.Count}), ids ({ids.Count}) and spans ({spans.Count}) must have the same length");
        if (inputIds.Count != attentionMask.Count)
            throw new ArgumentException($"input ids ({inputIds.Count}) and attention mask ({attentionMask.Count}) must have the same length");
        Kind = kind;
        Text = text;
        NormalizedSegments = normalizedSegments.ToArray();
        Tokens = tokens.ToArray();
        Ids = ids.ToArray();
        Spans = spans.ToArray();
        InputIds = inputIds.ToArray();
        AttentionMask = attentionMask.ToArray();
        TruncatedAt = ids.Count > maxContentTokens ? maxContentTokens : null;
    }

    /// <summary>"clip" or "xlmr".</summary>
    public string Kind { get; }

    /// <summary>The prompt exactly as given.</summary>
    public string Text { get; }

    /// <summary>Each normalized chunk and each cut-out special token literal, in order (the golden files' "normalized").</summary>
    public IReadOnlyList<string> NormalizedSegments { get; }

    /// <summary>The normalized segments joined by spaces (for display).</summary>
    public string NormalizedText => string.Join(" ", NormalizedSegments);

    public IReadOnlyList<string> Tokens { get; }
    public IReadOnlyList<int> Ids { get; }
    public IReadOnlyList<TokenSpan> Spans { get; }
    public IReadOnlyList<int> InputIds { get; }
    public IReadOnlyList<int> AttentionMask { get; }

    /// <summary>Index in <see cref="Ids"/> of the first token that does not fit into <see cref="InputIds"/>, or null.</summary>
    public int? TruncatedAt { get; }

    public bool IsTruncated => TruncatedAt is not null;

    /// <summary>Number of tokens the model attends to (begin and end tokens included).</summary>
    public int AttendedLength => AttentionMask.Count(m => m != 0);

    bool IsTruncatedToken(int index) => TruncatedAt is { } cut && index >= cut;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Kind} tokenization of {Quote(Text)}");
        sb.AppendLine($"normalized: {string.Join(" | ", NormalizedSegments.Select(Quote))}");
        sb.AppendLine($"{Ids.Count} tokens, {AttendedLength} of {InputIds.Count} positions attended" +
                      (TruncatedAt is { } cut ? $", truncated after token {cut} ({Ids.Count - cut} dropped)" : ""));
        var width = Math.Max(5, Tokens.Select(t => Escape(t).Length).DefaultIfEmpty(0).Max());
        sb.AppendLine($"{"#",4}  {"token".PadRight(width)}  {"id",6}  text");
        for (var i = 0; i < Ids.Count; i++)
        {
            var source = Text.Substring(Spans[i].Start, Spans[i].Length);
            sb.AppendLine($"{i,4}  {Escape(Tokens[i]).PadRight(width)}  {Ids[i],6}  {Quote(source)}{(IsTruncatedToken(i) ? "  (truncated)" : "")}");
        }
        sb.Append($"input_ids: [{string.Join(", ", InputIds)}]");
        return sb.ToString();
    }

    /// <summary>An HTML table of tokens and ids; the truncated tail is greyed. All prompt text is HTML-encoded.</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"kandinsky-tokenization\">");
        sb.Append($"<div><b>{Html(Kind)}</b> — {Ids.Count} tokens, {AttendedLength}/{InputIds.Count} attended");
        if (TruncatedAt is { } cut) sb.Append($", <span style=\"color:#b00\">truncated: {Ids.Count - cut} tokens dropped</span>");
        sb.Append("</div>");
        sb.Append($"<div>text: <code>{Html(Text)}</code></div>");
        sb.Append($"<div>normalized: {string.Join(" | ", NormalizedSegments.Select(s => $"<code>{Html(s)}</code>"))}</div>");
        sb.Append("<table style=\"border-collapse:collapse;font-family:monospace\"><thead><tr>");
        sb.Append("<th>#</th><th>token</th><th>id</th><th>text</th></tr></thead><tbody>");
        for (var i = 0; i < Ids.Count; i++)
        {
            var style = IsTruncatedToken(i) ? " style=\"color:#999\" title=\"truncated: not in input_ids\"" : "";
            var source = Text.Substring(Spans[i].Start, Spans[i].Length);
            sb.Append($"<tr{style}><td>{i}</td><td>{Html(Tokens[i])}</td><td>{Ids[i]}</td><td>{Html(source)}</td></tr>");
        }
        sb.Append("</tbody></table></div>");
        return sb.ToString();
    }

    static string Html(string s) => WebUtility.HtmlEncode(s);

    static string Quote(string s) => "\"" + Escape(s) + "\"";

    /// <summary>Control and invisible characters shown as \uXXXX so the plain-text table stays readable.</summary>
    static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                sb.Append(c).Append(s[++i]);
            else if (char.IsControl(c) || char.IsSurrogate(c) ||
                     char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
                sb.Append($"\\u{(int)c:X4}");
            else if (c == '"') sb.Append("\\\"");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
