using Kandinsky.Lab.Tokenizers.Text;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// CLIP's pre-tokenizer, the regular expression
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive), written as a scanner that classifies by code point: a letter or digit outside the BMP is
/// one character, not two surrogates.
/// </summary>
public static class ClipPreTokenizer
{
    static readonly string[] Literals = ["<|startoftext|>", "<|endoftext|>"];
    static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    /// <summary>The matches in <paramref name="text"/> as (start, length) in UTF-16 units; whitespace is dropped.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var result = new List<(int, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var cp = CodePoints.At(text, i, out var width);
            var match = MatchLiteral(text, i);
            if (match > 0) { result.Add((i, match)); i += match; continue; }
            if (cp == '\'' && (match = MatchContraction(text, i + 1)) > 0) { result.Add((i, match + 1)); i += match + 1; continue; }
            if (CodePoints.IsLetter(cp))
            {
                var end = i + width;
                while (end < text.Length && CodePoints.IsLetter(CodePoints.At(text, end, out var w))) end += w;
                result.Add((i, end - i));
                i = end;
                continue;
            }
            if (CodePoints.IsNumber(cp)) { result.Add((i, width)); i += width; continue; }
            if (CodePoints.IsWhiteSpace(cp)) { i += width; continue; }
            var runEnd = i + width;
            while (runEnd < text.Length)
            {
                var next = CodePoints.At(text, runEnd, out var w);
                if (CodePoints.IsWhiteSpace(next) || CodePoints.IsLetter(next) || CodePoints.IsNumber(next)) break;
                runEnd += w;
            }
            result.Add((i, runEnd - i));
            i = runEnd;
        }
        return result;
    }

    static int MatchLiteral(string text, int at)
    {
        foreach (var literal in Literals)
            if (string.Compare(text, at, literal, 0, literal.Length, StringComparison.OrdinalIgnoreCase) == 0 &&
                at + literal.Length <= text.Length)
                return literal.Length;
        return 0;
    }

    static int MatchContraction(string text, int at)
    {
        foreach (var c in Contractions)
            if (at + c.Length <= text.Length && string.Compare(text, at, c, 0, c.Length, StringComparison.OrdinalIgnoreCase) == 0)
                return c.Length;
        return 0;
    }
}
