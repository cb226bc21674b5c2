using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>
/// A test that needs Jupyter and the .NET Interactive kernel (environment/setup.sh installs both). Without them it is
/// skipped with the reason — except in CI (CI=true), where it runs and fails.
/// </summary>
public sealed class JupyterTheoryAttribute : TheoryAttribute
{
    public JupyterTheoryAttribute(bool needsBrowser = false)
    {
        if ((Jupyter.Missing() ?? (needsBrowser ? Browser.Missing() : null)) is { } missing && !Browser.InCi) Skip = missing + " — run environment/setup.sh";
    }
}

public sealed class JupyterFactAttribute : FactAttribute
{
    public JupyterFactAttribute()
    {
        if (Jupyter.Missing() is { } missing && !Browser.InCi) Skip = missing + " — run environment/setup.sh";
    }
}

/// <summary>Jupyter's own tools (Debian's), the kernels, and the lab's feed packed from this tree once per test run.</summary>
public static class Jupyter
{
    public const string Python = "/usr/bin/python3";
    public const string StockKernel = ".net-csharp";
    public const string LabKernel = ".net-csharp-lab";

    static readonly Lazy<string?> MissingLazy = new(FindMissing);

    public static string? Missing() => MissingLazy.Value;

    static string? FindMissing()
    {
        if (!File.Exists("/usr/bin/jupyter")) return "jupyter (Debian jupyter-notebook, jupyter-nbconvert) is not installed";
        var probe = RunProcess(Python, ["-c", "import jupyter_client, nbclient, nbconvert"], Fixtures.RepoRoot, TimeSpan.FromMinutes(1));
        if (probe.Exit != 0) return "python3-jupyter-client / python3-nbclient are not installed";
        var specs = RunProcess("jupyter", ["kernelspec", "list", "--json"], Fixtures.RepoRoot, TimeSpan.FromMinutes(1));
        var names = specs.Exit == 0 ? JsonNode.Parse(specs.Stdout)!["kernelspecs"]!.AsObject().Select(p => p.Key).ToList() : [];
        foreach (var kernel in new[] { StockKernel, LabKernel })
            if (!names.Contains(kernel)) return $"the Jupyter kernel {kernel} is not registered";
        return null;
    }

    static readonly Lazy<Task> PackOnce = new(() => Task.Run(() =>
    {
        var pack = RunProcess("dotnet", ["pack", "src/Kandinsky.Lab.Interactive", "-c", "Release", "-nologo"], Fixtures.RepoRoot, TimeSpan.FromMinutes(8));
        Assert.True(pack.Exit == 0, $"dotnet pack failed:\n{BrowserTests.Tail(pack.Stdout + pack.Stderr)}");
    }));

    /// <summary>`dotnet pack` of this tree into artifacts/feed (and /tmp/kandinsky-lab/feed pointed at it), once per run.</summary>
    public static Task PackedFeed() => PackOnce.Value;

    public sealed record ProcessResult(int Exit, string Stdout, string Stderr);

    public static ProcessResult RunProcess(string file, IEnumerable<string> args, string workDir, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalMinutes} minutes");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>
/// The notebooks in the host our users have: Jupyter's own nbconvert executing them with the stock .NET Interactive
/// kernel, from the lab's packages; the page nbconvert exports opened in Chromium; the lab kernel's interrupt through
/// jupyter_client; and where that host and our runner differ.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class JupyterHostTests(ITestOutputHelper output)
{
    static readonly JsonSchemaValidator Schema = new((JsonObject)JsonNode.Parse(File.ReadAllText(Fixtures.Path_("nbformat", "nbformat.v4.5.schema.json")))!);

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<(JsonObject Executed, string Path)>>> Executed = new();

    /// <summary>The notebook executed by `jupyter nbconvert --execute` with the stock kernel, once per test run.</summary>
    static Task<(JsonObject Executed, string Path)> ExecuteOnce(string name) =>
        Executed.GetOrAdd(name, n => new Lazy<Task<(JsonObject, string)>>(async () =>
        {
            await Jupyter.PackedFeed();
            var outDir = Directory.CreateTempSubdirectory("kl-nbconvert-").FullName;
            var run = Jupyter.RunProcess("jupyter", ["nbconvert", "--to", "notebook", "--execute", $"--ExecutePreprocessor.kernel_name={Jupyter.StockKernel}",
                "--ExecutePreprocessor.timeout=600", "--output-dir", outDir, NotebookFileTests.PathOf(n)], Path.Combine(Fixtures.RepoRoot, "notebooks"), TimeSpan.FromMinutes(12));
            Assert.True(run.Exit == 0, $"nbconvert --execute {n} failed:\n{BrowserTests.Tail(run.Stderr)}");
            var path = Path.Combine(outDir, n + ".ipynb");
            return ((JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(path))!, path);
        })).Value;

    static IEnumerable<JsonObject> CodeCells(JsonObject notebook) =>
        notebook["cells"]!.AsArray().Select(c => (JsonObject)c!).Where(c => (string?)c["cell_type"] == "code");

    static IEnumerable<JsonObject> Outputs(JsonObject cell) => cell["outputs"]!.AsArray().Select(o => (JsonObject)o!);

    [JupyterTheory]
    [MemberData(nameof(NotebookFileTests.All), MemberType = typeof(NotebookFileTests))]
    public async Task RunsInTheRealKernelUnderJupyterWithRichOutputs(string name)
    {
        if (Jupyter.Missing() is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        var (executed, _) = await ExecuteOnce(name);
        Assert.Equal(4, (int)executed["nbformat"]!);
        Assert.Empty(Schema.Validate(executed));
        var outputs = CodeCells(executed).SelectMany(Outputs).ToList();
        Assert.DoesNotContain(outputs, o => (string?)o["output_type"] == "error");
        var mimes = outputs.Where(o => o["data"] is JsonObject).SelectMany(o => o["data"]!.AsObject().Select(p => p.Key)).ToHashSet();
        output.WriteLine($"{name}: {outputs.Count} outputs, MIME types {string.Join(", ", mimes)}");
        Assert.Contains("text/html", mimes);
        // Every lab result the cells end with is shown through the extension's HTML formatters.
        foreach (var cell in CodeCells(executed).Skip(1))
            Assert.Contains(Outputs(cell), o => o["data"]?["text/html"] != null || (string?)o["output_type"] == "stream");
    }

    /// <summary>
    /// The page `nbconvert --to html` makes of each executed notebook, opened in Chromium: no script error, no console
    /// error, every figure drawn. Two things are arranged, both outside our code: the kernel's first output is a script
    /// that loads its JS API from the live kernel's HTTP server (in a static page it can only fail), so it is removed
    /// (and counted); and figures load plotly.js from its CDN, which this offline machine cannot reach, so the page gets
    /// the pinned copy inline, as `notebook run --offline` does.
    /// </summary>
    [JupyterTheory(needsBrowser: true)]
    [MemberData(nameof(NotebookFileTests.All), MemberType = typeof(NotebookFileTests))]
    public async Task NbconvertHtmlPageOpensInChromiumWithoutConsoleErrors(string name)
    {
        if ((Jupyter.Missing() ?? Browser.Missing()) is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        var (executed, path) = await ExecuteOnce(name);
        var page = (JsonObject)executed.DeepClone();
        int kernelScripts = 0;
        foreach (var cell in CodeCells(page))
        {
            var outputs = cell["outputs"]!.AsArray();
            foreach (var o in outputs.ToList())
                if (HtmlOf((JsonObject)o!).Contains("dotnet-interactive-this-cell", StringComparison.Ordinal)) { outputs.Remove(o); kernelScripts++; }
        }
        Assert.InRange(kernelScripts, 0, 1);
        var dir = Path.GetDirectoryName(path)!;
        var pageNotebook = Path.Combine(dir, name + ".page.ipynb");
        await File.WriteAllTextAsync(pageNotebook, page.ToJsonString());
        var html = Jupyter.RunProcess("jupyter", ["nbconvert", "--to", "html", pageNotebook], dir, TimeSpan.FromMinutes(3));
        Assert.True(html.Exit == 0, BrowserTests.Tail(html.Stderr));
        var text = await File.ReadAllTextAsync(Path.ChangeExtension(pageNotebook, ".html"));
        int head = text.IndexOf("<head>", StringComparison.Ordinal);
        var plotly = "<script>" + (await File.ReadAllTextAsync(Browser.PlotlyPath)).Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase) + "</script>";
        var file = Path.Combine(dir, name + ".probe.html");
        await File.WriteAllTextAsync(file, text.Insert(text.IndexOf('>', head) + 1, BrowserTests.ErrorProbe + plotly));
        var dom = await BrowserTests.RunChromium(dir, "--dump-dom", "--virtual-time-budget=15000", file);
        var report = BrowserTests.ReportElement().Match(dom);
        Assert.True(report.Success, $"the page never reported; chromium output:\n{BrowserTests.Tail(dom)}");
        var json = JsonNode.Parse(System.Net.WebUtility.HtmlDecode(report.Groups[1].Value))!;
        output.WriteLine($"{name}: {json.ToJsonString()} ({kernelScripts} kernel bootstrap script removed)");
        Assert.Empty(json["errors"]!.AsArray().Select(e => (string?)e));
        int figures = Regex.Matches(string.Concat(CodeCells(page).SelectMany(Outputs).Select(HtmlOf)), "Plotly.newPlot").Count;
        Assert.Equal(figures, (int)json["plots"]!);
    }

    static string HtmlOf(JsonObject output) => output["data"]?["text/html"] is JsonNode h ? (h is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)h ?? "") : "";

    /// <summary>
    /// Jupyter's interrupt, sent by jupyter_client to the lab kernel during a 500-step decode: the decode stops within
    /// one step (the cell fails with the cancellation), the kernel stays up and answers the next cell; meanwhile the
    /// decode's display updated in place.
    /// </summary>
    [JupyterFact]
    public async Task InterruptStopsADecodeWithinOneStepAndTheKernelAnswersTheNextCell()
    {
        if (Jupyter.Missing() is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        await Jupyter.PackedFeed();
        var steps = Path.Combine(Directory.CreateTempSubdirectory("kl-interrupt-").FullName, "steps");
        var script = Path.Combine(Fixtures.RepoRoot, "tests", "Kandinsky.Lab.Tests", "Notebooks", "hosts", "interrupt_decode.py");
        var run = Jupyter.RunProcess(Jupyter.Python, [script, Jupyter.LabKernel, NotebookFileTests.PathOf("03-decoding"), steps], Fixtures.RepoRoot, TimeSpan.FromMinutes(10));
        output.WriteLine(run.Stdout);
        var result = JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
        Assert.Equal("ok", (string?)result["setup"]);
        int atInterrupt = (int)result["steps_at_interrupt"]!, atEnd = (int)result["steps_at_end"]!;
        Assert.InRange(atInterrupt, 5, 499);
        Assert.InRange(atEnd - atInterrupt, 0, 1);
        Assert.Equal("error", (string?)result["decode_status"]);
        Assert.Contains("OperationCanceledException", (string?)result["decode_error"]);
        Assert.True((bool)result["alive"]!, "the kernel died on the interrupt");
        Assert.Equal("ok", (string?)result["next_status"]);
        Assert.Matches(@"(^|>)2(<|$)", (string?)result["next_value"] ?? "");
        Assert.True((int)result["display_updates"]! >= 1, "the decode's progress display never updated");
    }

    /// <summary>
    /// Where the hosts differ, on the same notebook text: the kernel reports the package restore and the extension's
    /// loading in the first cell, which our runner (no restore, the lab already loaded) does not; after it every cell
    /// shows the same kinds of output with the same HTML formatters.
    /// </summary>
    [JupyterFact]
    public async Task TheRealKernelAndOurRunnerDifferOnlyInThePackageCell()
    {
        if (Jupyter.Missing() is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        const string name = "01-text-encoding";
        var (kernel, _) = await ExecuteOnce(name);
        var ours = await NotebookFileTests.RunOnce(name);
        Assert.True(ours.Succeeded, ours.Error?.ToString());
        var kernelCells = CodeCells(kernel).ToList();
        var ourCells = ours.Executed.Cells.Where(c => c.CellType == "code").ToList();
        Assert.Equal(kernelCells.Count, ourCells.Count);

        static string Text(JsonObject o) => o["data"]?["text/plain"] is JsonNode t ? (t is JsonArray a ? string.Concat(a.Select(l => (string?)l)) : (string?)t ?? "") : "";
        var kernelFirst = Outputs(kernelCells[0]).ToList();
        Assert.Contains(kernelFirst, o => Text(o).Contains("Loading extensions from", StringComparison.Ordinal));
        Assert.DoesNotContain(ourCells[0].Outputs, o => Text((JsonObject)o!).Contains("Loading extensions from", StringComparison.Ordinal));
        Assert.True(kernelFirst.Count > ourCells[0].Outputs.Count, "the kernel's package cell shows the restore and the extension");

        static string Kinds(IEnumerable<JsonObject> outputs) => string.Join(",", outputs.Select(o => $"{o["output_type"]}:{(o["data"]?["text/html"] != null ? "html" : "-")}"));
        for (int i = 1; i < kernelCells.Count; i++)
            Assert.Equal(Kinds(Outputs(kernelCells[i])), Kinds(ourCells[i].Outputs.Select(o => (JsonObject)o!)));
    }
}
