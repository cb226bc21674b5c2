using System.CommandLine;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Spectre.Console;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab bleed SPEC --out DIR [--shard K/N] [--model DIR]`: runs a bleed sweep (or one shard of it, for a
/// batch scheduler's job array) and writes ledger.csv, ledger.json and a self-contained ledger.html;
/// `bleed merge DIR… --out DIR` joins the shards' ledger.json into the ledger of the whole sweep. Ctrl+C stops
/// after the current step.
/// </summary>
public static class BleedCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "The sweep: a JSON bleed spec (arms, seeds, questions, interventions)." };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where to write ledger.csv, ledger.json and ledger.html.", Required = true };
        var shard = new Option<string?>("--shard") { Description = "Run only shard K of N (K/N, 0 ≤ K < N): the units whose index is K modulo N." };
        var model = new Option<DirectoryInfo?>("--model") { Description = "Checkpoint folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro)." };
        var command = new Command("bleed", "Run a concept-bleed sweep into a ledger (CSV, JSON, HTML); `bleed merge` joins shards.") { spec, outDir, shard, model };
        command.SetAction((parse, ct) =>
        {
            var specPath = Usage.File(parse.GetValue(spec)!.FullName, spec.Name);
            var modelDir = parse.GetValue(model) is { } m ? Usage.Folder(m.FullName, model.Name) : KandinskyLab.MicroPath;
            BleedShard part;
            try { part = parse.GetValue(shard) is { } text ? BleedShard.Parse(text) : BleedShard.Whole; }
            catch (FormatException e) { throw new UsageException(e.Message); }   // it names --shard and the K/N it expects
            return Task.FromResult(Run(specPath, parse.GetValue(outDir)!, part, modelDir, ct));
        });

        var parts = new Argument<DirectoryInfo[]>("shards") { Description = "The shards' output folders (each with ledger.json).", Arity = ArgumentArity.OneOrMore };
        var mergeOut = new Option<DirectoryInfo>("--out") { Description = "Where to write the merged ledger.", Required = true };
        var merge = new Command("merge", "Join the ledger.json of every shard of a sweep into the ledger of the whole sweep.") { parts, mergeOut };
        merge.SetAction(parse => Merge(parse.GetValue(parts)!.Select(p => Usage.File(Path.Combine(p.FullName, "ledger.json"), parts.Name)).ToList(), parse.GetValue(mergeOut)!));
        command.Subcommands.Add(merge);
        return command;
    }

    static int Run(string specPath, DirectoryInfo outDir, BleedShard shard, string modelDir, CancellationToken ct)
    {
        BleedSpec spec;
        try { spec = BleedSpec.Load(specPath); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            return Fail(e.Message);
        }
        KandinskyLab lab;
        try { lab = KandinskyLab.Load(modelDir); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
        {
            return Fail($"cannot load the model: {e.Message}");
        }
        using var _ = lab;
        try
        {
            BleedLedger? ledger = null;
            AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask($"bleed {Markup.Escape(spec.Name)} (shard {shard})");
                    var progress = new SynchronousProgress<BleedProgress>(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                        task.Description = $"{p.Done}/{p.Total} {Markup.Escape(p.Unit)}";
                    });
                    ledger = BleedSweep.Run(lab, spec, shard, progress, ct);
                });
            Write(ledger!, outDir);
            AnsiConsole.WriteLine(ledger!.ToString());
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("bleed: cancelled.");
            return 130;
        }
    }

    static int Merge(IReadOnlyList<string> ledgers, DirectoryInfo outDir)
    {
        try
        {
            var ledger = BleedLedger.Merge(ledgers.Select(BleedLedger.Load).ToList());
            Write(ledger, outDir);
            AnsiConsole.WriteLine(ledger.ToString());
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            return Fail(e.Message);
        }
    }

    static void Write(BleedLedger ledger, DirectoryInfo outDir)
    {
        var dir = Directory.CreateDirectory(outDir.FullName).FullName;
        File.WriteAllText(Path.Combine(dir, "ledger.json"), ledger.ToJson() + "\n");
        File.WriteAllText(Path.Combine(dir, "ledger.csv"), ledger.ToCsv());
        File.WriteAllText(Path.Combine(dir, "ledger.html"), Html.Page($"Kandinsky.Lab bleed ledger — {ledger.Spec.Name}", LabFormatting.ToHtml(ledger)));
        AnsiConsole.MarkupLine($"Ledger: [green]{Markup.Escape(Path.Combine(dir, "ledger.html"))}[/] (+ ledger.csv, ledger.json)");
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"bleed: {message}");
        return 2;
    }
}
