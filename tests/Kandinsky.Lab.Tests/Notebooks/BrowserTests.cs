using System.Diagnostics;
using System.Text.RegularExpressions;
using Kandinsky.Lab.Notebooks;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>
/// A fact that needs headless Chromium and a local plotly.js (environment/setup.sh installs both). Without them the
/// test is skipped with the reason — except in CI (CI=true), where it runs and fails, so CI can never pass by skipping.
/// </summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    public BrowserTheoryAttribute()
    {
        if (Browser.Missing() is { } missing && !Browser.InCi) Skip = missing + " — run environment/setup.sh";
    }
}

public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.Missing() is { } missing && !Browser.InCi) Skip = missing + " — run environment/setup.sh";
    }
}

public static class Browser
{
    public const string Chromium = "/usr/bin/chromium";
    public static string PlotlyPath => Path.Combine(Fixtures.RepoRoot, "environment", "node_modules", "plotly.js-dist-min", "plotly.min.js");
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? Missing() =>
        !File.Exists(Chromium) ? $"{Chromium} is not installed" :
        !File.Exists(PlotlyPath) ? $"{PlotlyPath} is not installed" : null;
}

[Collection(ConsoleCollection.Name)]
public partial class BrowserTests(ITestOutputHelper output)
{
    /// <summary>
    /// Records uncaught errors, unhandled rejections and console.error calls; after load (and plotly's drawing) writes them
    /// and the number of drawn plots into the DOM, which --dump-dom returns.
    /// </summary>
    internal const string ErrorProbe = """
<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push("error: " + (e.message || (e.target && e.target.src) || e)); }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("rejection: " + e.reason); });
  var consoleError = console.error;
  console.error = function () { errors.push("console.error: " + Array.prototype.join.call(arguments, " ")); consoleError.apply(console, arguments); };
  window.addEventListener("load", function () {
    setTimeout(function () {
      var report = document.createElement("pre");
      report.id = "kl-report";
      report.textContent = JSON.stringify({ errors: errors, plots: document.querySelectorAll(".js-plotly-plot").length, plotly: typeof Plotly });
      document.body.appendChild(report);
    }, 1500);
  });
})();
</script>
""";

    [BrowserTheory]
    [MemberData(nameof(NotebookFileTests.All), MemberType = typeof(NotebookFileTests))]
    public async Task ExportedNotebookRendersInHeadlessChromiumWithoutErrors(string name)
    {
        if (Browser.Missing() is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        var run = await NotebookFileTests.RunOnce(name);
        Assert.True(run.Succeeded, run.Error?.ToString());
        var html = HtmlExporter.Export(run.Executed, name, await File.ReadAllTextAsync(Browser.PlotlyPath));
        Assert.DoesNotContain("<script src=", html.Split("<main>")[0]);      // plotly inlined, nothing fetched
        int head = html.IndexOf("<head>", StringComparison.Ordinal);
        var page = html.Insert(html.IndexOf('>', head) + 1, ErrorProbe);

        var dir = Directory.CreateTempSubdirectory("kl-browser-");
        var file = Path.Combine(dir.FullName, name + ".html");
        await File.WriteAllTextAsync(file, page);
        var dom = await RunChromium(dir.FullName, "--dump-dom", "--virtual-time-budget=15000", file);
        var report = ReportElement().Match(dom);
        Assert.True(report.Success, $"the page never reported (no kl-report element); chromium output:\n{Tail(dom)}");
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Net.WebUtility.HtmlDecode(report.Groups[1].Value))!;
        output.WriteLine($"page report: {json.ToJsonString()}");
        Assert.Equal("object", (string?)json["plotly"]);                   // the inlined plotly.js loaded
        Assert.Empty(((System.Text.Json.Nodes.JsonArray)json["errors"]!).Select(e => (string?)e));
        int figures = FigureCount(run);
        Assert.Equal(figures, (int)json["plots"]!);                          // every figure was drawn

        var screenshot = Path.Combine(Fixtures.RepoRoot, "tests", "Kandinsky.Lab.Tests", "bin", $"browser-{name}.png");
        await RunChromium(dir.FullName, $"--screenshot={screenshot}", "--window-size=1200,2000", "--virtual-time-budget=15000", file);
        Assert.True(File.Exists(screenshot), "chromium wrote no screenshot");
        var png = Kandinsky.Lab.Tensors.Imaging.Png.Load(screenshot);
        Assert.Equal((1200, 2000), (png.Width, png.Height));
        output.WriteLine($"screenshot: {screenshot}");
        dir.Delete(recursive: true);
    }

    /// <summary>Figures the page draws: plotly outputs plus figures inside HTML outputs.</summary>
    static int FigureCount(NotebookRun run) =>
        run.Executed.Cells.SelectMany(c => c.CellType == "code" ? c.Outputs : []).Sum(o =>
        {
            var data = o!["data"];
            if (data?["application/vnd.plotly.v1+json"] != null) return 1;
            var htmlOut = data?["text/html"] is System.Text.Json.Nodes.JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : "";
            return Regex.Matches(htmlOut, "class=\"kl-figure\"").Count;
        });

    /// <summary>The error probe itself can fail: a page that throws and logs an error reports both.</summary>
    [BrowserFact]
    public async Task ErrorProbeReportsScriptErrors()
    {
        if (Browser.Missing() is { } missing) Assert.Fail($"{missing}: environment/setup.sh must install it (CI=true, so this test may not be skipped).");
        var dir = Directory.CreateTempSubdirectory("kl-browser-");
        var file = Path.Combine(dir.FullName, "broken.html");
        await File.WriteAllTextAsync(file, "<!DOCTYPE html><html><head>" + ErrorProbe + "</head><body><script>console.error('logged');</script><script>throw new Error('boom');</script></body></html>");
        var dom = await RunChromium(dir.FullName, false, "--dump-dom", "--virtual-time-budget=5000", file);
        var report = ReportElement().Match(dom);
        Assert.True(report.Success, Tail(dom));
        var errors = System.Text.Json.Nodes.JsonNode.Parse(System.Net.WebUtility.HtmlDecode(report.Groups[1].Value))!["errors"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Contains(errors, e => e.Contains("boom"));
        Assert.Contains(errors, e => e.Contains("logged"));
        dir.Delete(recursive: true);
    }

    internal static Task<string> RunChromium(string workDir, params string[] args) => RunChromium(workDir, true, args);

    internal static async Task<string> RunChromium(string workDir, bool failOnConsoleErrors, params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("kl-chromium-profile-");
        var psi = new ProcessStartInfo(Browser.Chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.FullName}", "--enable-logging=stderr", "--v=0" })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish in 3 minutes: {string.Join(' ', args)}");
        }
        var err = await stderr;
        // Chromium logs page console messages as CONSOLE(...) lines with --enable-logging=stderr.
        var consoleErrors = err.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) && l.Contains("ERROR", StringComparison.Ordinal)).ToList();
        if (failOnConsoleErrors) Assert.True(consoleErrors.Count == 0, "console errors:\n" + string.Join('\n', consoleErrors));
        try { profile.Delete(recursive: true); } catch (IOException) { }
        return await stdout;
    }

    internal static string Tail(string s) => s.Length <= 2000 ? s : s[^2000..];

    [GeneratedRegex("<pre id=\"kl-report\">(.*?)</pre>", RegexOptions.Singleline)]
    internal static partial Regex ReportElement();
}
