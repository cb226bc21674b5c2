using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Tests.Tokenizers;

public class XlmrGoldenTests
{
    internal static readonly Lazy<XlmRobertaTokenizer> Tokenizer = new(() =>
        XlmRobertaTokenizer.FromFolder(Path.Combine(Fixtures.Root, "tokenizers", "xlm-roberta-standin")));

    static readonly IReadOnlyList<GoldenLine> Golden = GoldenLine.Read("xlmr-standin.jsonl");

    [Fact]
    public void Golden_file_has_all_440_lines() => Assert.Equal(440, Golden.Count);

    [Fact]
    public void Every_golden_line_matches_exactly()
    {
        var failures = new List<string>();
        foreach (var line in Golden)
        {
            var problems = GoldenCompare.Differences(line, Tokenizer.Value.Encode(line.Text));
            if (problems.Count > 0) failures.Add($"{line}: {string.Join("; ", problems)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {Golden.Count} lines differ:\n{string.Join("\n", failures.Take(25))}");
    }

    [Fact]
    public void Model_file_conventions_are_read_not_assumed()
    {
        var t = Tokenizer.Value;
        Assert.Equal(32000, t.Model.Pieces.Count);
        Assert.Equal((0, 1, 2), (t.Model.UnkId, t.Model.BosId, t.Model.EosId));
        Assert.Equal("nmt_nfkc", t.Model.NormalizerName);
        Assert.Equal(32001, t.MaskId);
        Assert.Equal((0, 2, 1, 77), (t.BosId, t.EosId, t.PadId, t.MaxLength));
        var empty = t.Encode("");
        Assert.Equal([0, 2, 1, 1], empty.InputIds.Take(4));
        Assert.Equal([1, 1, 0], empty.AttentionMask.Take(3));
    }
}
