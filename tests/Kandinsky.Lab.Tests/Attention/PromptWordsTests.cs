using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Tests.Attention;

/// <summary>The pieces of the decoder's XLM-R tokenization merged back into the prompt's words, on hostile prompts.</summary>
public sealed class PromptWordsTests
{
    static readonly XlmRobertaTokenizer Xlmr = XlmRobertaTokenizer.FromFolder(Path.Combine(Fixtures.MicroModel, "decoder", "tokenizer"));

    static IReadOnlyList<PromptWord> Words(string text, out Tokenization tokens)
    {
        tokens = Xlmr.Encode(text);
        return PromptWords.Of(tokens);
    }

    [Theory]
    [InlineData("a red-haired girl, red  hair!! 🙂 Девушка с синими волосами ☕️café don't")]
    [InlineData("  leading and trailing spaces  ")]
    [InlineData("emoji👩‍🦰joined, «quotes» and … ellipsis?!")]
    [InlineData("человек с голубыми волосами и карими глазами")]
    [InlineData("blue blue BLUE hair")]
    public void EveryTokenLandsInAWordAndEachWordIsExactlyItsPieces(string prompt)
    {
        var words = Words(prompt, out var tokens);
        var owned = words.SelectMany(w => w.Tokens).ToHashSet();
        for (int t = 0; t < tokens.Ids.Count; t++)
            Assert.True(owned.Contains(t) || tokens.Text.Substring(tokens.Spans[t].Start, tokens.Spans[t].Length).Trim().Length == 0 && t == tokens.Ids.Count - 1,
                $"token {t} \"{tokens.Tokens[t]}\" belongs to no word of \"{prompt}\"");
        foreach (var w in words)
        {
            // The pieces cover the word exactly: every character of it, and (trimmed of spaces) nothing but it, unless a
            // piece straddles two words ("«q"), when it belongs to both.
            var covered = new bool[w.Span.Length];
            foreach (int t in w.Tokens)
            {
                var piece = tokens.Text.Substring(tokens.Spans[t].Start, tokens.Spans[t].Length);
                int start = tokens.Spans[t].Start + (piece.Length - piece.TrimStart().Length), end = start + piece.Trim().Length;
                Assert.True(end == start || start < w.Span.End && w.Span.Start < end, $"token {t} \"{piece}\" does not overlap \"{w.Text}\"");
                for (int i = Math.Max(start, w.Span.Start); i < Math.Min(end, w.Span.End); i++) covered[i - w.Span.Start] = true;
                if (start < w.Span.Start || end > w.Span.End)
                    Assert.Contains(words, o => o != w && o.Tokens.Contains(t));
            }
            Assert.All(covered, Assert.True);
            Assert.Equal(w.Text, prompt.Substring(w.Span.Start, w.Span.Length));
            Assert.Equal(w.Tokens.Select(t => t + 1), w.InputPositions);
        }
        Assert.Equal(prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 0, words.Count > 0);
    }

    [Fact]
    public void PunctuationEmojiAndJoinersAreWordsOfTheirOwnAndApostrophesStayInside()
    {
        var words = Words("a red-haired girl, red  hair!! 🙂 ☕️café don't", out _);
        Assert.Equal(["a", "red", "-", "haired", "girl", ",", "red", "hair", "!!", "🙂", "☕️", "café", "don't"], words.Select(w => w.Text));
        Assert.Equal([false, false, true, false, false, true, false, false, true, true, true, false, false], words.Select(w => w.IsSymbol));
    }

    [Fact]
    public void RepeatedWordsAreKeptApartAndFoundTogether()
    {
        var words = Words("red hair, RED eyes, red shirt", out _);
        var reds = PromptWords.Matching(words, "red");
        Assert.Equal([0, 1, 2], reds.Select(w => w.Occurrence));
        Assert.Equal(reds.Sum(w => w.InputPositions.Count), reds.SelectMany(w => w.InputPositions).Distinct().Count());
        Assert.All(reds, w => Assert.Equal(reds[0].Tokens.Count, w.Tokens.Count));
        Assert.Equal("RED (2)", reds[1].ToString());
    }

    [Fact]
    public void CyrillicWordsGetAllTheirPieces()
    {
        var words = Words("Девушка с синими волосами", out var tokens);
        Assert.Equal(["Девушка", "с", "синими", "волосами"], words.Select(w => w.Text));
        Assert.True(words[0].Tokens.Count > 1);
        Assert.Equal(tokens.Ids.Count, words.Sum(w => w.Tokens.Count));
    }

    [Fact]
    public void WordsPastTheInputAreMarkedTruncated()
    {
        var prompt = string.Join(" ", Enumerable.Range(0, 60).Select(i => $"w{i}x"));
        var words = Words(prompt, out var tokens);
        Assert.True(tokens.IsTruncated);
        int kept = tokens.TruncatedAt!.Value;
        Assert.Equal(DecoderPipeline.TextLength - 2, kept);
        Assert.All(words.SelectMany(w => w.InputPositions), p => Assert.InRange(p, 1, kept));
        Assert.Contains(words, w => w.IsTruncated && w.InputPositions.Count == 0);
        Assert.Equal(kept, words.Sum(w => w.InputPositions.Count));
        var straddling = words.Where(w => w.IsTruncated && w.InputPositions.Count > 0).ToList();
        Assert.True(straddling.Count <= 1);
    }
}
