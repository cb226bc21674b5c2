using System.Text.Json;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tokenizers.Clip;

namespace Kandinsky.Lab.Tests.Tokenizers;

public class ClipGoldenTests
{
    internal static readonly Lazy<ClipTokenizer> Tokenizer =
        new(() => ClipTokenizer.FromFolder(Path.Combine(Fixtures.Root, "tokenizers", "clip")));

    static readonly IReadOnlyList<GoldenLine> Golden = GoldenLine.Read("clip.jsonl");

    [Fact]
    public void Golden_file_has_all_440_lines() => Assert.Equal(440, Golden.Count);

    [Fact]
    public void Every_golden_line_matches_exactly()
    {
        var failures = new List<string>();
        foreach (var line in Golden)
        {
            var t = Tokenizer.Value.Encode(line.Text);
            var problems = GoldenCompare.Differences(line, t);
            if (problems.Count > 0) failures.Add($"{line}: {string.Join("; ", problems)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Golden.Count} lines differ:\n{string.Join("\n", failures.Take(25))}");
    }

    [Fact]
    public void Ids_of_the_pipeline_defaults()
    {
        var t = Tokenizer.Value;
        Assert.Equal((49406, 49407, 0, 77), (t.BosId, t.EosId, t.PadId, t.MaxLength));
        var empty = t.Encode("");
        Assert.Equal([49406, 49407, 0, 0], empty.InputIds.Take(4));
        Assert.Equal([1, 1, 0], empty.AttentionMask.Take(3));
    }
}

internal static class GoldenCompare
{
    public static List<string> Differences(GoldenLine line, Tokenization t)
    {
        var problems = new List<string>();
        void Check<T>(string name, IReadOnlyList<T> expected, IReadOnlyList<T> actual)
        {
            if (!expected.SequenceEqual(actual))
                problems.Add($"{name}: expected {JsonSerializer.Serialize(expected)} got {JsonSerializer.Serialize(actual)}");
        }
        Check("normalized", line.Normalized, t.NormalizedSegments);
        Check("tokens", line.Tokens, t.Tokens);
        Check("ids", line.Ids, t.Ids);
        Check("input_ids", line.InputIds, t.InputIds);
        Check("attention_mask", line.AttentionMask, t.AttentionMask);
        return problems;
    }
}
