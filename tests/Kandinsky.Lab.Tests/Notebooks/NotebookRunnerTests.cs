using System.Text.Json.Nodes;
using Kandinsky.Lab.Notebooks;
using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Tests.Notebooks;

[Collection(ConsoleCollection.Name)]
public class NotebookRunnerTests
{
    static readonly JsonSchemaValidator Schema = new((JsonObject)JsonNode.Parse(File.ReadAllText(Fixtures.Path_("nbformat", "nbformat.v4.5.schema.json")))!);

    static Notebook Build(params (string Type, string Source)[] cells)
    {
        var nb = Notebook.CreateCSharp();
        foreach (var (type, source) in cells) nb.AddCell(type, source);
        return nb;
    }

    static Task<NotebookRun> Run(Notebook nb) => new NotebookRunner().RunAsync(nb, Fixtures.RepoRoot);

    [Fact]
    public async Task RunsCellsInOrderWithDisplayUpdateConsoleAndResult()
    {
        var nb = Build(
            ("markdown", "# Title\nSome *text*."),
            ("code", "#r \"src/Kandinsky.Lab/bin/Debug/net10.0/Kandinsky.Lab.dll\"\nusing Kandinsky.Lab.Visuals;\nvar t = new Table(\"a\", \"b\").AddRow(1, \"x\");\nvar h = display(t);\nConsole.WriteLine(\"hello\");\nh.Update(new Table(\"c\").AddRow(\"updated\"));"),
            ("code", "var f = new Figure(\"fig\").AddScatter(new double[] {1, 2}, new double[] {3, 4}, \"s\");\nf"));
        var run = await Run(nb);
        Assert.True(run.Succeeded, run.Error?.ToString());
        var cells = run.Executed.Cells;
        Assert.Equal(1, cells[1].ExecutionCount);
        Assert.Equal(2, cells[2].ExecutionCount);
        var outputs = cells[1].Outputs;
        Assert.Equal("display_data", (string?)outputs[0]!["output_type"]);
        var html = string.Concat(((JsonArray)outputs[0]!["data"]!["text/html"]!).Select(l => (string)l!));
        Assert.Contains("updated", html);
        Assert.DoesNotContain(">x<", html);
        Assert.Equal("stream", (string?)outputs[1]!["output_type"]);
        Assert.Equal("hello\n", string.Concat(((JsonArray)outputs[1]!["text"]!).Select(l => (string)l!)));
        var result = (JsonObject)cells[2].Outputs.Single()!;
        Assert.Equal("execute_result", (string?)result["output_type"]);
        Assert.IsType<JsonObject>(result["data"]!["application/vnd.plotly.v1+json"]);
        Assert.Empty(Schema.Validate(JsonNode.Parse(run.Executed.ToJson())));
    }

    [Fact]
    public async Task RuntimeErrorStopsTheRunNamingCellAndLine()
    {
        var nb = Build(
            ("code", "var x = 1;"),
            ("code", "var y = 2;\nthrow new InvalidOperationException(\"boom\");"),
            ("code", "Console.WriteLine(\"never\");"));
        var run = await Run(nb);
        Assert.False(run.Succeeded);
        Assert.Equal(2, run.Error!.Cell);
        Assert.Equal(2, run.Error.Line);
        Assert.Contains("boom", run.Error.Message);
        var cells = run.Executed.Cells;
        Assert.Equal("error", (string?)cells[1].Outputs.Single()!["output_type"]);
        Assert.Null(cells[2].ExecutionCount);
        Assert.Empty(cells[2].Outputs);
        Assert.Empty(Schema.Validate(JsonNode.Parse(run.Executed.ToJson())));
    }

    [Fact]
    public async Task CompilationErrorNamesTheLine()
    {
        var run = await Run(Build(("code", "var a = 1;\nvar b = a +;\n")));
        Assert.Equal(1, run.Error!.Cell);
        Assert.Equal(2, run.Error.Line);
        Assert.Equal("CompilationError", run.Error.Name);
    }

    [Fact]
    public async Task StateCarriesAcrossCellsAndMagicLinesKeepLineNumbers()
    {
        var run = await Run(Build(("code", "#!csharp\nint n = 41;"), ("code", "#!csharp\nn + 1")));
        Assert.True(run.Succeeded, run.Error?.ToString());
        var data = run.Executed.Cells[1].Outputs.Single()!["data"]!;
        Assert.Equal("42", string.Concat(((JsonArray)data["text/plain"]!).Select(l => (string)l!)));
    }

    [Fact]
    public async Task OtherKernelsAndNugetReferencesAreClearErrors()
    {
        var magic = await Run(Build(("code", "#!pwsh\nGet-Date")));
        Assert.Contains("#!pwsh", magic.Error!.Message);
        var nuget = await Run(Build(("code", "#r \"nuget: Foo, 1.0\"")));
        Assert.Contains("nuget", nuget.Error!.Message);
    }

    /// <summary>The text the real kernel runs: the lab's feed and packages, <c>.Display()</c> and its update.</summary>
    [Fact]
    public async Task AcceptsTheKernelsPackageLinesAndDisplayExtension()
    {
        var nb = Build(("code", string.Join('\n', NotebookFileTests.PackageLines) + "\nusing Kandinsky.Lab.Visuals;\nvar d = new Table(\"a\").AddRow(1).Display();\nd.Update(new Table(\"b\").AddRow(2));"));
        var run = await Run(nb);
        Assert.True(run.Succeeded, run.Error?.ToString());
        var output = Assert.Single(run.Executed.Cells[0].Outputs);
        Assert.Equal("display_data", (string?)output!["output_type"]);
        Assert.Contains(">b<", string.Concat(((JsonArray)output["data"]!["text/html"]!).Select(l => (string)l!)));
    }

    [Fact]
    public async Task ALabPackageOfAnotherVersionIsAClearError()
    {
        var run = await Run(Build(("code", "#r \"nuget: Kandinsky.Lab, 9.9.9\"")));
        Assert.Equal(1, run.Error!.Line);
        Assert.Contains($"9.9.9\"': the runner's lab is version {NotebookFileTests.LabVersion}", run.Error.Message);
    }

    /// <summary>Ctrl+C (the run's cancellation) stops a decode within one step; the cell is recorded as interrupted.</summary>
    [Fact]
    public async Task CancellingTheRunStopsTheRunningStageWithinOneStep()
    {
        var steps = Path.Combine(Directory.CreateTempSubdirectory("kl-interrupt-").FullName, "steps");
        var nb = Build(("code", string.Join('\n', NotebookFileTests.PackageLines) + "\n" + LongDecodeCell(steps)));
        using var cancel = new CancellationTokenSource();
        // called as the CLI calls it: the run must hand back its task while the cell's synchronous decode goes on
        var running = new NotebookRunner().RunAsync(nb, Fixtures.RepoRoot, cancel.Token);
        Assert.False(running.IsCompleted, "RunAsync returned only after the cell had run: nothing could cancel it");
        // Ctrl+C arrives on a signal thread of its own, whatever the pool is doing
        int atCancel = -1;
        var signal = new Thread(() =>
        {
            while (StepsDone(steps) < 3 && !running.IsCompleted) Thread.Sleep(10);
            cancel.Cancel();
            atCancel = StepsDone(steps);
        });
        signal.Start();
        var run = await running;
        signal.Join();
        Assert.Equal("Interrupted", run.Error?.Name);
        Assert.InRange(StepsDone(steps) - atCancel, 0, 1);
        Assert.Contains(run.Executed.Cells[0].Outputs, o => (string?)o!["output_type"] == "error");
    }

    static int StepsDone(string file) => File.Exists(file) ? (int)new FileInfo(file).Length : 0;

    /// <summary>A cell that decodes for 500 steps on the micro model, appending one byte to <paramref name="stepFile"/> per step: something to interrupt.</summary>
    public static string LongDecodeCell(string stepFile) => $$"""
        using Kandinsky.Lab.Pipeline;
        var lab = KandinskyLab.Micro();
        var text = lab.EncodeText("a person with blue hair");
        var prior = lab.Prior(text, new PriorOptions { Steps = 2, Seed = 1 });
        lab.Decode(prior, text, new DecodeOptions { Steps = 500, Seed = 1,
            Callbacks = new StageCallbacks<DecoderStep>("decoder") { OnStep = s => System.IO.File.AppendAllText({{System.Text.Json.JsonSerializer.Serialize(stepFile)}}, "x") } });
        """;

    [Fact]
    public async Task HtmlExportRendersOutputsAndEncodesSource()
    {
        var nb = Build(("markdown", "Text with <b>tag</b>"), ("code", "#r \"Kandinsky.Lab.dll\"\nvar label = \"</script><script>alert(1)</script>\";\nnew Kandinsky.Lab.Visuals.Figure(label).AddScatter(new double[] {1}, new double[] {2}, label)"));
        var run = await Run(nb);
        Assert.True(run.Succeeded, run.Error?.ToString());
        var offline = HtmlExporter.Export(run.Executed, "t<1>", "/*PLOTLY*/");
        Assert.Contains("<script>/*PLOTLY*/</script>", offline);
        Assert.DoesNotContain("cdn.plot.ly/plotly", offline.Split("<main>")[0]);
        Assert.Contains("Plotly.newPlot", offline);
        Assert.DoesNotContain("<script>alert(1)", offline);
        Assert.Contains("&lt;b&gt;tag&lt;/b&gt;", offline);
        Assert.Contains("<title>t&lt;1&gt;</title>", offline);
        var online = HtmlExporter.Export(run.Executed, "t", null);
        Assert.Contains(Figure.PlotlyCdn, online);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"nbformat\": 3, \"cells\": []}")]
    [InlineData("{\"nbformat\": 4, \"cells\": {}}")]
    [InlineData("{\"nbformat\": 4, \"cells\": [1]}")]
    [InlineData("{\"nbformat\": 4, \"cells\": [{\"cell_type\": 5, \"source\": \"\"}]}")]
    [InlineData("{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\"}]}")]
    [InlineData("{\"nbformat\": 4, \"metadata\": 1, \"cells\": []}")]
    [InlineData("{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"outputs\": 3}]}")]
    public void MalformedNotebooksAreRejectedClearly(string json)
    {
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse(json, "bad.ipynb"));
        Assert.StartsWith("bad.ipynb:", e.Message);
    }

    [Fact]
    public void FuzzedNotebooksGiveOnlyFormatErrors()
    {
        var valid = Build(("markdown", "# hi"), ("code", "var x = 1;\nx")).ToJson();
        var rng = new Random(1234);
        int parsed = 0, rejected = 0;
        for (int iter = 0; iter < 5000; iter++)
        {
            var chars = valid.ToCharArray().ToList();
            int edits = rng.Next(1, 6);
            for (int e = 0; e < edits && chars.Count > 0; e++)
            {
                int at = rng.Next(chars.Count);
                switch (rng.Next(3))
                {
                    case 0: chars[at] = "{}[]\",:0a \\"[rng.Next(11)]; break;
                    case 1: chars.RemoveAt(at); break;
                    default: chars.Insert(at, "{}[]\",:1z"[rng.Next(9)]); break;
                }
            }
            try
            {
                var nb = Notebook.Parse(new string([.. chars]), "fuzz.ipynb");
                _ = nb.Cells.Select(c => (c.Source, c.Language, c.ExecutionCount)).ToList();
                _ = nb.ToJson();
                parsed++;
            }
            catch (NotebookFormatException e)
            {
                Assert.StartsWith("fuzz.ipynb: ", e.Message);   // a format error names the file it is about
                rejected++;
            }
        }
        // Any other exception fails above; both outcomes must occur, or the fuzz did not test the claim.
        Assert.True(rejected > 0 && parsed > 0, $"of 5,000 fuzzed notebooks {parsed} parsed and {rejected} gave format errors");
    }
}
