using System.Text.Json;
using Kandinsky.Lab.Cli;

namespace Kandinsky.Lab.Tests.Tokenizers;

public sealed class TokenizeCommandTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("kandinsky-tokenize-cli-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Theory]
    [InlineData("clip", "clip", "clip.jsonl")]
    [InlineData("xlmr", "xlm-roberta-standin", "xlmr-standin.jsonl")]
    public void Jsonl_output_reproduces_the_golden_file(string kind, string folder, string golden)
    {
        var goldenPath = Path.Combine(Fixtures.Root, "tokenizers", "golden", golden);
        var output = Path.Combine(scratch, "out.jsonl");
        var exit = Program.BuildRoot().Parse(["tokenize", "--tokenizer", Path.Combine(Fixtures.Root, "tokenizers", folder),
            "--kind", kind, "--jsonl", goldenPath, "--out", output]).Invoke();
        Assert.Equal(0, exit);
        var expected = File.ReadAllLines(goldenPath);
        var actual = File.ReadAllLines(output);
        Assert.Equal(expected.Length, actual.Length);
        string[] fields = ["category", "text", "normalized", "tokens", "ids", "input_ids", "attention_mask"];
        for (var i = 0; i < expected.Length; i++)
        {
            using var e = JsonDocument.Parse(expected[i]);
            using var a = JsonDocument.Parse(actual[i]);
            foreach (var field in fields)
                Assert.True(JsonElement.DeepEquals(e.RootElement.GetProperty(field), a.RootElement.GetProperty(field)),
                    $"line {i + 1} field {field}: {a.RootElement.GetProperty(field)}");
        }
    }

    [Fact]
    public void Jsonl_line_without_text_fails_with_its_line_number()
    {
        var input = Path.Combine(scratch, "in.jsonl");
        File.WriteAllLines(input, ["{\"text\": \"ok\"}", "{\"prompt\": \"no text field\"}"]);
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var exit = Program.BuildRoot().Parse(["tokenize", "--tokenizer", Path.Combine(Fixtures.MicroModel, "prior", "tokenizer"),
                "--jsonl", input, "--out", Path.Combine(scratch, "out.jsonl")]).Invoke();
            Assert.NotEqual(0, exit);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Contains("line 2", error.ToString());
    }
}
