using System.Text.Json.Nodes;
using Kandinsky.Lab.Notebooks;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>The notebooks in notebooks/: each runs to completion on the embedded model and its executed copy is valid nbformat 4.5.</summary>
[Collection(ConsoleCollection.Name)]
public class NotebookFileTests(ITestOutputHelper output)
{
    public static readonly string[] Names = ["01-text-encoding", "02-prior", "03-decoding", "04-embedding-space", "05-concept-bleed"];

    static readonly JsonSchemaValidator Schema = new((JsonObject)JsonNode.Parse(File.ReadAllText(Fixtures.Path_("nbformat", "nbformat.v4.5.schema.json")))!);

    public static string PathOf(string name) => Path.Combine(Fixtures.RepoRoot, "notebooks", name + ".ipynb");

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<NotebookRun>>> Runs = new();

    /// <summary>Each notebook is executed once per test run; the browser test reuses the executed copy.</summary>
    public static Task<NotebookRun> RunOnce(string name) =>
        Runs.GetOrAdd(name, n => new Lazy<Task<NotebookRun>>(() => new NotebookRunner().RunAsync(PathOf(n)))).Value;

    [Fact]
    public void EveryNotebookHasATest()
    {
        var present = Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "notebooks"), "*.ipynb").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(Names.Order(), present);
    }

    [Theory]
    [InlineData("01-text-encoding")]
    [InlineData("02-prior")]
    [InlineData("03-decoding")]
    [InlineData("04-embedding-space")]
    [InlineData("05-concept-bleed")]
    public async Task RunsOnTheEmbeddedModel(string name)
    {
        var source = Notebook.Load(PathOf(name));
        Assert.Empty(Schema.Validate(JsonNode.Parse(source.ToJson())));
        Assert.Equal(".net-csharp", (string?)source.Metadata["kernelspec"]!["name"]);
        var code = source.Cells.Where(c => c.CellType == "code").ToList();
        Assert.All(code, c => Assert.Equal("csharp", (string?)c.Json["metadata"]!["polyglot_notebook"]!["kernelName"]));
        Assert.Contains("#r \"../src/Kandinsky.Lab/bin/Debug/net10.0/Kandinsky.Lab.dll\"", code[0].Source);
        Assert.True(source.Cells.Count(c => c.CellType == "markdown") >= 3, "a notebook tells a story between its code cells");

        var run = await RunOnce(name);
        output.WriteLine($"{name}: {run.Cells.Count} code cells in {run.Elapsed.TotalSeconds:F2} s ({string.Join(", ", run.Cells.Select(c => $"cell {c.Cell}: {c.Elapsed.TotalSeconds:F2} s"))})");
        Assert.True(run.Succeeded, $"{name}: {run.Error}");
        Assert.Empty(Schema.Validate(JsonNode.Parse(run.Executed.ToJson())));
        foreach (var cell in run.Executed.Cells.Where(c => c.CellType == "code"))
        {
            Assert.NotEmpty(cell.Outputs);
            Assert.DoesNotContain(cell.Outputs, o => (string?)o!["output_type"] == "error");
        }
    }
}
