using System.Text.Json.Nodes;
using Kandinsky.Lab.Notebooks;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>The notebooks in notebooks/: each runs to completion on the embedded model and its executed copy is valid nbformat 4.5.</summary>
[Collection(ConsoleCollection.Name)]
public class NotebookFileTests(ITestOutputHelper output)
{
    /// <summary>Every notebook in notebooks/, found on disk, so a new notebook is tested without editing a list.</summary>
    public static IEnumerable<string> Names => Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "notebooks"), "*.ipynb")
        .Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal);

    public static TheoryData<string> All => [.. Names];

    /// <summary>The first lines of every notebook, as .NET Interactive users expect: the lab's feed and packages, no build paths.</summary>
    public static readonly string[] PackageLines =
        ["#i \"nuget:/tmp/kandinsky-lab/feed\"", $"#r \"nuget: Kandinsky.Lab, {LabVersion}\"", $"#r \"nuget: Kandinsky.Lab.Interactive, {LabVersion}\""];

    /// <summary>The version the library is built as (Directory.Build.props), which the notebooks must name.</summary>
    public static string LabVersion => typeof(Kandinsky.Lab.Pipeline.KandinskyLab).Assembly.GetName().Version!.ToString(3);

    static readonly JsonSchemaValidator Schema = new((JsonObject)JsonNode.Parse(File.ReadAllText(Fixtures.Path_("nbformat", "nbformat.v4.5.schema.json")))!);

    public static string PathOf(string name) => Path.Combine(Fixtures.RepoRoot, "notebooks", name + ".ipynb");

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<NotebookRun>>> Runs = new();

    /// <summary>Each notebook is executed once per test run; the browser test reuses the executed copy.</summary>
    public static Task<NotebookRun> RunOnce(string name) =>
        Runs.GetOrAdd(name, n => new Lazy<Task<NotebookRun>>(() => new NotebookRunner().RunAsync(PathOf(n)))).Value;

    [Fact]
    public void NotebooksAreFound() => Assert.Contains("01-text-encoding", Names);

    [Theory]
    [MemberData(nameof(All))]
    public async Task RunsOnTheEmbeddedModel(string name)
    {
        var source = Notebook.Load(PathOf(name));
        Assert.Empty(Schema.Validate(JsonNode.Parse(source.ToJson())));
        Assert.Equal(".net-csharp", (string?)source.Metadata["kernelspec"]!["name"]);
        var code = source.Cells.Where(c => c.CellType == "code").ToList();
        Assert.All(code, c => Assert.Equal("csharp", (string?)c.Json["metadata"]!["polyglot_notebook"]!["kernelName"]));
        var firstLines = code[0].Source.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('#')).ToList();
        Assert.Equal(PackageLines, firstLines);
        Assert.All(code, c => Assert.DoesNotContain("bin/", c.Source));
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
