using Kandinsky.Lab.Tests.Notebooks;

namespace Kandinsky.Lab.Tests.Cli;

/// <summary>`bleed SPEC --out DIR [--shard K/N]` and `bleed merge` (console redirected, so in the console collection).</summary>
[Collection(ConsoleCollection.Name)]
public class BleedCommandTests
{
    const string Spec = """
        {
          "name": "cli test",
          "questions": [{"attribute": "eyes", "value": "blue"}],
          "arms": [
            {"id": "blue", "prompt": "a person with blue hair", "control": "brown"},
            {"id": "brown", "prompt": "человек с каштановыми волосами", "language": "ru", "control": "blue"}
          ],
          "seeds": [1, 2],
          "images_per_seed": 1,
          "prior": {"steps": 2},
          "decoder": {"steps": 2},
          "interventions": [{"kind": "slider", "toward": "a person with brown eyes", "away": "a person with blue eyes", "alphas": [0.5], "arms": ["blue"]}]
        }
        """;

    [Fact]
    public void ShardsMergeIntoTheWholeSweepsFiles()
    {
        var dir = Directory.CreateTempSubdirectory("bleed-cli").FullName;
        try
        {
            var spec = Path.Combine(dir, "spec.json");
            File.WriteAllText(spec, Spec);
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["bleed", spec, "--out", Path.Combine(dir, "whole")]));
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["bleed", spec, "--out", Path.Combine(dir, "a"), "--shard", "0/2"]));
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["bleed", spec, "--out", Path.Combine(dir, "b"), "--shard", "1/2"]));
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["bleed", "merge", Path.Combine(dir, "b"), Path.Combine(dir, "a"), "--out", Path.Combine(dir, "merged")]));
            foreach (var file in new[] { "ledger.csv", "ledger.json" })
                Assert.Equal(File.ReadAllText(Path.Combine(dir, "whole", file)), File.ReadAllText(Path.Combine(dir, "merged", file)));
            var html = File.ReadAllText(Path.Combine(dir, "whole", "ledger.html"));
            Assert.StartsWith("<!DOCTYPE html>", html);
            Assert.DoesNotContain("<script", html);
            Assert.Contains("data:image/png;base64,", html);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"control\": \"brown\"", "\"control\": \"nobody\"", "nobody")]
    [InlineData("\"seeds\": [1, 2]", "\"seeds\": []", "seeds")]
    [InlineData("\"kind\": \"slider\"", "\"kind\": \"sldier\"", "sldier")]
    [InlineData("\"value\": \"blue\"", "\"value\": \"teal\"", "eyes=teal")]
    public void ABadSpecExitsTwoWithOneLineNamingTheFileAndTheField(string from, string to, string named)
    {
        var dir = Directory.CreateTempSubdirectory("bleed-bad").FullName;
        var error = new StringWriter();
        var saved = Console.Error;
        try
        {
            var spec = Path.Combine(dir, "bad.json");
            File.WriteAllText(spec, Spec.Replace(from, to, StringComparison.Ordinal));
            Console.SetError(error);
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["bleed", spec, "--out", Path.Combine(dir, "out")]));
            var message = error.ToString().TrimEnd('\n', '\r');
            Assert.DoesNotContain('\n', message);
            Assert.StartsWith("bleed: ", message);
            Assert.Contains("bad.json", message);
            Assert.Contains(named, message);
        }
        finally
        {
            Console.SetError(saved);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ABadShardIsOneLine()
    {
        var dir = Directory.CreateTempSubdirectory("bleed-shard").FullName;
        var error = new StringWriter();
        var saved = Console.Error;
        try
        {
            var spec = Path.Combine(dir, "spec.json");
            File.WriteAllText(spec, Spec);
            Console.SetError(error);
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["bleed", spec, "--out", dir, "--shard", "4/4"]));
            Assert.Contains("K/N", error.ToString());
        }
        finally
        {
            Console.SetError(saved);
            Directory.Delete(dir, recursive: true);
        }
    }
}
