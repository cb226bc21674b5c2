using System.Globalization;
using System.Text;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>
/// A word of a prompt and the tokens it was cut into. <see cref="Tokens"/> index the tokenization's content tokens;
/// <see cref="InputPositions"/> are where the kept ones sit in the model input (after the begin token).
/// <see cref="Occurrence"/> counts earlier words with the same text (case-insensitive), so repeated words stay apart.
/// </summary>
public sealed record PromptWord(int Index, string Text, TokenSpan Span, bool IsSymbol, int Occurrence, IReadOnlyList<int> Tokens, IReadOnlyList<int> InputPositions)
{
    /// <summary>Some of its tokens fell past the model's input length.</summary>
    public bool IsTruncated => InputPositions.Count < Tokens.Count;

    public override string ToString() => Occurrence == 0 ? Text : $"{Text} ({Occurrence + 1})";
}

/// <summary>
/// Merges a tokenization's pieces back into the prompt's words through the tokens' spans. A word is a run of letters,
/// digits and joiners (an apostrophe or a combining mark inside a word stays in it); every other run of visible
/// characters (punctuation, symbols, emoji, with their variation selectors) is a symbol word of its own. A token goes
/// to every word its span overlaps; a token that is whitespace only (SentencePiece's lone "▁") goes to the word that
/// follows it. Tokens past <see cref="Tokenization.TruncatedAt"/> are listed but have no input position.
/// </summary>
public static class PromptWords
{
    public static IReadOnlyList<PromptWord> Of(Tokenization tokens)
    {
        var spans = Segment(tokens.Text);
        var members = spans.Select(_ => new List<int>()).ToList();
        for (int t = 0; t < tokens.Ids.Count; t++)
        {
            var span = Trim(tokens.Text, tokens.Spans[t]);
            for (int w = 0; w < spans.Count; w++)
            {
                var (start, end, _) = spans[w];
                bool hit = span.Length == 0 ? start >= span.Start && start <= span.Start + WhitespaceAfter(tokens.Text, span.Start) : start < span.End && span.Start < end;
                if (!hit) continue;
                members[w].Add(t);
                if (span.Length == 0) break;
            }
        }
        int kept = tokens.TruncatedAt ?? tokens.Ids.Count;
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var words = new List<PromptWord>(spans.Count);
        for (int w = 0; w < spans.Count; w++)
        {
            var (start, end, symbol) = spans[w];
            var text = tokens.Text[start..end];
            seen[text] = seen.TryGetValue(text, out int n) ? n + 1 : 0;
            words.Add(new PromptWord(w, text, new TokenSpan(start, end - start), symbol, seen[text], members[w],
                members[w].Where(t => t < kept).Select(t => t + 1).ToList()));
        }
        return words;
    }

    /// <summary>The words whose text is <paramref name="word"/> (case-insensitive, every occurrence).</summary>
    public static IReadOnlyList<PromptWord> Matching(IReadOnlyList<PromptWord> words, string word) =>
        words.Where(w => string.Equals(w.Text, word.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>(start, end, is symbol) of every word of <paramref name="text"/>, in order.</summary>
    internal static List<(int Start, int End, bool Symbol)> Segment(string text)
    {
        var result = new List<(int, int, bool)>();
        int i = 0, start = -1;
        bool symbol = false;
        while (i < text.Length)
        {
            var rune = Rune.GetRuneAt(text, i);
            var kind = Classify(rune);
            // An apostrophe between two letters (don't, l'amour) joins them.
            if (kind == CharKind.Symbol && start >= 0 && !symbol && IsApostrophe(rune) && i + 1 < text.Length
                && Rune.TryGetRuneAt(text, i + 1, out var next) && Classify(next) == CharKind.Word)
                kind = CharKind.Word;
            if (kind == CharKind.Mark && start >= 0) kind = symbol ? CharKind.Symbol : CharKind.Word;   // a mark stays with its base
            else if (kind == CharKind.Mark) kind = CharKind.Symbol;
            if (kind == CharKind.Space || (start >= 0 && (kind == CharKind.Symbol) != symbol))
            {
                if (start >= 0) result.Add((start, i, symbol));
                start = -1;
            }
            if (kind != CharKind.Space && start < 0)
            {
                start = i;
                symbol = kind == CharKind.Symbol;
            }
            i += rune.Utf16SequenceLength;
        }
        if (start >= 0) result.Add((start, text.Length, symbol));
        return result;
    }

    enum CharKind { Space, Word, Mark, Symbol }

    static CharKind Classify(Rune r)
    {
        if (Rune.IsWhiteSpace(r)) return CharKind.Space;
        var category = Rune.GetUnicodeCategory(r);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format) return CharKind.Mark;   // combining accents, variation selectors, ZWJ
        if (Rune.IsLetterOrDigit(r) || category == UnicodeCategory.ConnectorPunctuation) return CharKind.Word;
        return CharKind.Symbol;
    }

    static bool IsApostrophe(Rune r) => r.Value is '\'' or '\u2019';

    /// <summary>The span without its leading and trailing whitespace (SentencePiece's "▁" covers the space before a word); whitespace only: empty at its end.</summary>
    static TokenSpan Trim(string text, TokenSpan span)
    {
        int s = span.Start, e = span.End;
        while (s < e && char.IsWhiteSpace(text[s])) s++;
        while (e > s && char.IsWhiteSpace(text[e - 1])) e--;
        return s == e ? new TokenSpan(span.End, 0) : new TokenSpan(s, e - s);
    }

    static int WhitespaceAfter(string text, int at)
    {
        int n = 0;
        while (at + n < text.Length && char.IsWhiteSpace(text[at + n])) n++;
        return n;
    }
}
