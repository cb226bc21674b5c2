using System.CommandLine;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Visuals;
using Spectre.Console;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab tour [--model DIR] [--out DIR]`: the stage-by-stage walk-through with an HTML report (the README's main job).</summary>
public static class TourCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo?>("--model") { Description = "Checkpoint folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro)." };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where to write tour.html and the PNGs.", DefaultValueFactory = _ => new DirectoryInfo("out/tour") };
        var images = new Option<int>("--bleed-images") { Description = "Images per prompt for the concept-bleed comparison.", DefaultValueFactory = _ => 12 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every stage.", DefaultValueFactory = _ => 42UL };
        var command = new Command("tour", "Walk through the three stages on a model and write a self-contained HTML report.") { model, outDir, images, seed };
        command.SetAction((parse, ct) =>
        {
            var modelDir = parse.GetValue(model) is { } m ? Usage.Folder(m.FullName, model.Name) : KandinskyLab.MicroPath;
            var options = new TourOptions { BleedImagesPerPrompt = parse.AtLeast(images, 1), Seed = parse.GetValue(seed) };
            AnsiConsole.MarkupLine($"[bold]Kandinsky.Lab tour[/] on [blue]{Markup.Escape(modelDir)}[/]");
            using var lab = KandinskyLab.Load(modelDir);
            Usage.ImagesFitInMemory(options.BleedImagesPerPrompt, lab.DefaultImageSize, lab.DefaultImageSize, $"{images.Name} {options.BleedImagesPerPrompt}");
            try
            {
                var result = Tour.Run(lab, parse.GetValue(outDir)!.FullName, options, new SynchronousProgress<string>(m => AnsiConsole.MarkupLine($"  {Markup.Escape(m)}")),
                    cancellationToken: ct);
                AnsiConsole.WriteLine(result.Bleed.ToString());
                AnsiConsole.MarkupLine($"Report: [green]{Markup.Escape(result.ReportPath)}[/] ({result.ImagePaths.Count} PNGs beside it), {result.Elapsed.TotalSeconds:F1} s");
                return Task.FromResult(0);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("tour: cancelled.");
                return Task.FromResult(130);
            }
        });
        return command;
    }
}
