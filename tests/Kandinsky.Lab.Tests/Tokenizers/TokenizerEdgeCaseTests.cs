using System.Diagnostics;
using System.Text;
using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Tests.Tokenizers;

/// <summary>Inputs beyond the golden set: both tokenizers must give clean results, never exceptions from inside.</summary>
public class TokenizerEdgeCaseTests
{
    public static TheoryData<string> Kinds => new() { "clip", "xlmr" };

    static ITextTokenizer Get(string kind) => kind == "clip" ? ClipGoldenTests.Tokenizer.Value : XlmrGoldenTests.Tokenizer.Value;

    public static TheoryData<string, string> OddInputs()
    {
        var data = new TheoryData<string, string>();
        string[] inputs =
        [
            "a\uD800b", "\uDC00", "tail\uD83D", "\uDE00\uD83D", "a\u0000b", "\0\0\0", "\u202Eevil\u202C text",
            "\u2066isolate\u2069 \u200F\u200E", "👩\u200D👩\u200D👧\u200D👦 family", "a\uFFFEb", "\uFFFF\uFFFE", "\uFDD0",
            "<|endoftext|><|startoftext|>", "!!!!!!!!", "&#0;&#xD800;&#1114112;&#99999999999999999999999;", "\r\r\n\u2028",
            "\u001b[31m\u001b[0m", "ÃƒÂ©ÃƒÂ©Ã", "&lt;|endoftext|&gt;", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙", "<mask><mask> <mask>", "İİİ ΣΣ Σ.",
        ];
        foreach (var kind in new[] { "clip", "xlmr" })
            foreach (var input in inputs) data.Add(kind, input);
        return data;
    }

    [Theory]
    [MemberData(nameof(OddInputs))]
    public void Odd_input_gives_a_well_formed_tokenization(string kind, string text)
    {
        var tokenizer = Get(kind);
        var t = tokenizer.Encode(text);
        Assert.Equal(tokenizer.MaxLength, t.InputIds.Count);
        Assert.Equal(tokenizer.MaxLength, t.AttentionMask.Count);
        Assert.All(t.Ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
        Assert.Equal(tokenizer.BosId, t.InputIds[0]);
        Assert.Equal(tokenizer.EosId, t.InputIds[Math.Min(t.Ids.Count, tokenizer.MaxLength - 2) + 1]);
        Assert.All(t.Spans, s => Assert.True(s.Start >= 0 && s.End <= text.Length, $"span {s} outside the text"));
        Assert.NotEmpty(t.ToString());
        Assert.NotEmpty(t.ToHtml());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Concurrent_encoding_gives_the_sequential_results(string kind)
    {
        var tokenizer = Get(kind);
        var prompts = GoldenLine.Read("clip.jsonl").Select(l => l.Text).ToArray();
        var sequential = prompts.Select(p => string.Join(",", tokenizer.Encode(p).Ids)).ToArray();
        var parallel = new string[prompts.Length];
        Parallel.For(0, prompts.Length * 4, i => parallel[i % prompts.Length] = string.Join(",", tokenizer.Encode(prompts[i % prompts.Length]).Ids));
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void Clip_lone_surrogates_become_replacement_characters_like_ftfy()
    {
        var clip = ClipGoldenTests.Tokenizer.Value;
        Assert.Equal(clip.Encode("a\uFFFDb").Ids, clip.Encode("a\uD800b").Ids);
    }

    [Fact]
    public void Clip_nul_and_bidi_isolates_are_removed_or_kept_as_ftfy_does()
    {
        var clip = ClipGoldenTests.Tokenizer.Value;
        Assert.Equal(clip.Encode("ab").Ids, clip.Encode("a\u0000b").Ids);
        // ftfy removes the deprecated format characters U+206A–206F but keeps the bidi isolates U+2066–2069.
        Assert.Equal(clip.Encode("ab").Ids, clip.Encode("a\u206Ab").Ids);
        Assert.NotEqual(clip.Encode("ab").Ids, clip.Encode("a\u2066b").Ids);
    }

    [Fact]
    public void Clip_special_literal_stays_whole_after_the_bpe_cache_is_cleared()
    {
        // The cache is cleared whenever it fills (a one-megabyte prompt fills it); the literals must survive that.
        var vocab = new Dictionary<string, int> { ["<|endoftext|>"] = 7, ["a</w>"] = 1, ["b</w>"] = 2, ["c</w>"] = 3 };
        var bpe = new Kandinsky.Lab.Tokenizers.Clip.ByteLevelBpe(vocab, [], 0, ["<|endoftext|>"], cacheCapacity: 2);
        foreach (var word in new[] { "a", "b", "c", "a", "b", "c" }) bpe.Encode(word);
        Assert.Equal([("<|endoftext|>", 7)], bpe.Encode("<|endoftext|>").Select(t => (t.Value, t.Id)));
    }

    [Fact]
    public void Clip_exclamation_mark_is_the_pad_token()
    {
        // Example from tests/fixtures/tokenizers/README.md.
        Assert.Equal([3306, 267, 1002, 0], ClipGoldenTests.Tokenizer.Value.Encode("hello, world!").Ids);
    }

    [Fact]
    public void Clip_special_literal_made_by_entity_unescaping_is_the_special_token()
    {
        // ftfy turns the entities into "<|endoftext|>", which CLIP's pre-tokenizer and BPE cache keep whole.
        var t = ClipGoldenTests.Tokenizer.Value.Encode("&lt;|endoftext|&gt;");
        Assert.Equal([ClipGoldenTests.Tokenizer.Value.EosId], t.Ids);
        Assert.Equal(["<|endoftext|>"], t.NormalizedSegments);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Truncation_keeps_all_ids_and_marks_where_input_ids_stop(string kind)
    {
        var tokenizer = Get(kind);
        var text = string.Concat(Enumerable.Repeat("a ", 80));
        var t = tokenizer.Encode(text);
        Assert.True(t.Ids.Count >= 80);
        Assert.Equal(tokenizer.MaxLength - 2, t.TruncatedAt);
        Assert.True(t.IsTruncated);
        Assert.Equal(t.Ids.Take(tokenizer.MaxLength - 2), t.InputIds.Skip(1).Take(tokenizer.MaxLength - 2));
        Assert.Equal(tokenizer.EosId, t.InputIds[^1]);
        Assert.All(t.AttentionMask, m => Assert.Equal(1, m));
        Assert.Null(tokenizer.Encode("a short prompt").TruncatedAt);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Spans_point_back_into_the_prompt(string kind)
    {
        var t = Get(kind).Encode("A Cat  sits");
        var covered = t.Spans.Select(s => t.Text.Substring(s.Start, s.Length).Trim()).Where(s => s.Length > 0);
        Assert.Equal("ACatsits", string.Concat(covered));
    }

    [Fact]
    public void Clip_spans_are_exact_when_only_case_and_spaces_change()
    {
        var t = ClipGoldenTests.Tokenizer.Value.Encode("A  Photograph of İstanbul!");
        var sources = t.Spans.Select(s => t.Text.Substring(s.Start, s.Length)).ToArray();
        Assert.Equal("A", sources[0]);
        Assert.Equal("!", sources[^1]);
        Assert.Contains("İ", sources);
    }

    [Fact]
    public void Html_rendering_encodes_all_prompt_text_and_greys_the_truncated_tail()
    {
        var t = ClipGoldenTests.Tokenizer.Value.Encode("<script>alert('x')</script> " + string.Concat(Enumerable.Repeat("cat ", 90)));
        var html = t.ToHtml();
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        var greyRows = html.Split("<tr style=\"color:#999\"").Length - 1;
        Assert.Equal(t.Ids.Count - t.TruncatedAt!.Value, greyRows);
    }

    [Fact]
    public void Plain_text_rendering_lists_every_token()
    {
        var t = XlmrGoldenTests.Tokenizer.Value.Encode("a cat\u200B on a mat");
        var text = t.ToString();
        foreach (var id in t.Ids) Assert.Contains(id.ToString(), text);
        Assert.Contains("\\u200B", text);
    }

    static string RandomWords(int chars, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder(chars + 16);
        const string letters = "abcdefghijklmnopqrstuvwxyzéüßжщ";
        while (sb.Length < chars)
        {
            var length = rng.Next(1, 12);
            for (var i = 0; i < length; i++) sb.Append(letters[rng.Next(letters.Length)]);
            sb.Append(rng.Next(8) == 0 ? ", " : " ");
        }
        return sb.ToString(0, chars);
    }

    /// <summary>
    /// Best of three interleaved timings of each input (the minimum filters out other processes' load), and
    /// whether <paramref name="large"/> stayed within <paramref name="factor"/> times <paramref name="small"/>
    /// (with a 20 ms floor so timer and scheduler noise on tiny runs cannot decide).
    /// </summary>
    /// <summary>
    /// Seconds of CPU this thread has used (Linux schedstat, nanoseconds), so other processes and parallel tests on a
    /// busy machine do not distort the ratio; wall time elsewhere.
    /// </summary>
    static double ThreadSeconds()
    {
        const string schedstat = "/proc/thread-self/schedstat";
        if (File.Exists(schedstat))
            return long.Parse(File.ReadAllText(schedstat).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1e9;
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    static (bool Ok, string Report) ScalesLinearly(Action small, Action large, double factor)
    {
        double bestSmall = double.MaxValue, bestLarge = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var start = ThreadSeconds();
            small();
            bestSmall = Math.Min(bestSmall, ThreadSeconds() - start);
            start = ThreadSeconds();
            large();
            bestLarge = Math.Min(bestLarge, ThreadSeconds() - start);
        }
        return (bestLarge < factor * Math.Max(bestSmall, 0.02), $"large {bestLarge:F3} s, small {bestSmall:F3} s");
    }

    /// <summary>Linear time: 10× the text may take at most 50× as long (quadratic work would take ~100×).</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_one_megabyte_prompt_tokenizes_in_linear_time(string kind)
    {
        var tokenizer = Get(kind);
        var small = RandomWords(100_000, 1);
        var large = RandomWords(1_000_000, 2);
        tokenizer.Encode(RandomWords(10_000, 3));
        var (ok, report) = ScalesLinearly(() => tokenizer.Encode(small),
            () => Assert.True(tokenizer.Encode(large).Ids.Count > 100_000), 50);
        Assert.True(ok, $"1 MB vs 100 KB: {report}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_single_huge_word_is_not_quadratic(string kind)
    {
        var tokenizer = Get(kind);
        string Word(int n, int seed)
        {
            var rng = new Random(seed);
            return new string(Enumerable.Range(0, n).Select(_ => (char)('a' + rng.Next(26))).ToArray());
        }
        var small = Word(20_000, 4);
        var large = Word(200_000, 5);
        tokenizer.Encode(Word(2_000, 6));
        var (ok, report) = ScalesLinearly(() => tokenizer.Encode(small), () => tokenizer.Encode(large), 50);
        Assert.True(ok, $"200k-letter word vs 20k: {report}");
    }
}
