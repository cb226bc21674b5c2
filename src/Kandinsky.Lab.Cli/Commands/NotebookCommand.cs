using System.CommandLine;
using Kandinsky.Lab.Notebooks;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab notebook run NB.ipynb… --out DIR [--offline]`: the headless notebook runner.</summary>
public static class NotebookCommand
{
    const string PlotlyRelativePath = "environment/node_modules/plotly.js-dist-min/plotly.min.js";

    public static Command Create()
    {
        var notebooks = new Argument<string[]>("notebooks") { Description = "Notebooks (.ipynb) to run, in order.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Folder for the executed .ipynb and .html files.", Required = true };
        var offline = new Option<bool>("--offline") { Description = $"Inline plotly.js from a local copy ({PlotlyRelativePath}) instead of loading it from its CDN." };
        var plotly = new Option<string?>("--plotly") { Description = "Path of plotly.min.js to inline (implies --offline)." };
        var run = new Command("run", "Run notebooks headless; write executed notebooks and self-contained HTML pages.") { notebooks, outDir, offline, plotly };
        run.SetAction(async (parse, ct) =>
        {
            var paths = parse.GetValue(notebooks)!.Select(p => Usage.File(p, notebooks.Name)).ToList();
            var plotlyPath = parse.GetValue(plotly) is { } given ? Usage.File(given, plotly.Name) : null;
            string? plotlySource = null;
            if (plotlyPath != null || parse.GetValue(offline))
            {
                plotlyPath ??= FindUpwards(PlotlyRelativePath)
                    ?? throw new UsageException($"--offline needs plotly.js: {PlotlyRelativePath} was not found (run environment/setup.sh) and no --plotly PATH was given.");
                plotlySource = await File.ReadAllTextAsync(plotlyPath, ct);
            }
            var dir = Directory.CreateDirectory(parse.GetValue(outDir)!).FullName;
            int exit = 0;
            foreach (var path in paths)
            {
                var name = Path.GetFileNameWithoutExtension(path);
                NotebookRun result;
                try
                {
                    var runner = new NotebookRunner { Progress = new Progress<CellProgress>(p => Console.Error.WriteLine($"  [{name}] cell {p.Cell}/{p.CellCount}: {p.FirstLine}")) };
                    result = await runner.RunAsync(path, ct);
                }
                catch (NotebookFormatException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    exit = 2;
                    continue;
                }
                var ipynb = Path.Combine(dir, name + ".ipynb");
                var html = Path.Combine(dir, name + ".html");
                result.Executed.Save(ipynb);
                // written whole even after Ctrl+C: the interrupted run's record is what the user asked to keep
                await File.WriteAllTextAsync(html, HtmlExporter.Export(result.Executed, name, plotlySource), CancellationToken.None);
                if (result.Succeeded)
                    Console.WriteLine($"{name}: {result.Cells.Count} cells in {result.Elapsed.TotalSeconds:F1} s → {ipynb}, {html}");
                else
                {
                    Console.Error.WriteLine($"error: {name}: {result.Error} (the executed notebook: {ipynb})");
                    exit = 1;
                }
                if (ct.IsCancellationRequested)
                {
                    Console.Error.WriteLine("interrupted: the notebooks after this one were not run.");
                    return 130;
                }
            }
            return exit;
        });
        return new Command("notebook", "Notebooks: run them headless and export HTML.") { run };
    }

    static string? FindUpwards(string relative)
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
