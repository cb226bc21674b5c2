using System.Text.Json;

namespace Kandinsky.Lab.Tests.Tokenizers;

/// <summary>One line of tests/fixtures/tokenizers/golden/*.jsonl (see the README there).</summary>
public sealed record GoldenLine(int LineNumber, string Category, string Text, string[] Normalized, string[] Tokens, int[] Ids,
    int[] InputIds, int[] AttentionMask)
{
    public static IReadOnlyList<GoldenLine> Read(string fileName)
    {
        var path = Path.Combine(Fixtures.Root, "tokenizers", "golden", fileName);
        var lines = new List<GoldenLine>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            lines.Add(new GoldenLine(number, r.GetProperty("category").GetString()!, r.GetProperty("text").GetString()!,
                Strings(r.GetProperty("normalized")), Strings(r.GetProperty("tokens")), Ints(r.GetProperty("ids")),
                Ints(r.GetProperty("input_ids")), Ints(r.GetProperty("attention_mask"))));
        }
        return lines;
    }

    static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public override string ToString() => $"line {LineNumber} [{Category}] {JsonSerializer.Serialize(Text)}";
}
