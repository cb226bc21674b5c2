using System.CommandLine;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;
using Spectre.Console;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab generate "prompt" …`: text → image with a progress bar per stage; writes the PNGs and a JSON
/// <see cref="GenerationRecord"/> (the prompt, both stages' options with the seed, the model fingerprint), which
/// `generate --replay RECORD` runs again to the same images. Ctrl+C stops after the current step.
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var priorDefaults = new PriorOptions();
        var decodeDefaults = new DecodeOptions();
        var prompt = new Argument<string?>("prompt") { Description = "What to draw (not with --replay).", Arity = ArgumentArity.ZeroOrOne };
        var replay = new Option<FileInfo?>("--replay") { Description = "A generation-*.json record to run again with every setting it holds (the other options must be left out)." };
        var model = new Option<DirectoryInfo?>("--model") { Description = "Checkpoint folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro; with --replay: the record's)." };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt (default: none — the prior's negative is the zero-image embedding, the decoder's \"\")." };
        var priorSteps = new Option<int>("--prior-steps") { Description = "Prior (UnCLIP) steps.", DefaultValueFactory = _ => priorDefaults.Steps };
        var steps = new Option<int>("--steps") { Description = "Decoder steps.", DefaultValueFactory = _ => decodeDefaults.Steps };
        var guidance = new Option<float>("--guidance") { Description = "Decoder guidance scale.", DefaultValueFactory = _ => decodeDefaults.GuidanceScale };
        var priorGuidance = new Option<float>("--prior-guidance") { Description = "Prior guidance scale.", DefaultValueFactory = _ => priorDefaults.GuidanceScale };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the torch-compatible generator (default: random, recorded)." };
        var width = new Option<int?>("--width") { Description = "Image width (default: the model's size; rounded up as get_new_h_w does)." };
        var height = new Option<int?>("--height") { Description = "Image height." };
        var images = new Option<int>("--images") { Description = "Images per prompt.", DefaultValueFactory = _ => priorDefaults.ImagesPerPrompt };
        var scheduler = new Option<DecoderSchedulerKind>("--scheduler")
        {
            Description = $"Decoder scheduler: {string.Join(", ", Enum.GetNames<DecoderSchedulerKind>())} (Default: the folder's; DpmSolverMultistep: DPM-Solver++ 2M on its noise schedule).", DefaultValueFactory = _ => decodeDefaults.Scheduler,
        };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Output folder.", DefaultValueFactory = _ => new DirectoryInfo("out") };
        var command = new Command("generate", "Generate images from a prompt, writing PNGs and a reproducibility record (or replay a record).")
        {
            prompt, replay, model, negative, priorSteps, steps, guidance, priorGuidance, seed, width, height, images, scheduler, outDir,
        };
        Option[] settings = [negative, priorSteps, steps, guidance, priorGuidance, seed, width, height, images, scheduler];
        command.SetAction((parse, ct) => Task.FromResult(Run(RequestOf(parse), parse.GetValue(replay) != null, parse.GetValue(outDir)!.FullName, ct)));
        return command;

        // The validate step: every setting checked (the library's records check their own) before the model loads.
        GenerationRecord RequestOf(ParseResult parse)
        {
            var modelDir = parse.GetValue(model) is { } m ? Usage.Folder(m.FullName, model.Name) : null;
            if (parse.GetValue(replay) is { } file)
            {
                if (parse.GetValue(prompt) != null || settings.Any(o => parse.GetResult(o) is { Implicit: false }))
                    throw new UsageException("--replay takes its prompt and settings from the record; give only --model and --out beside it.");
                GenerationRecord record;
                try { record = GenerationRecord.Load(Usage.File(file.FullName, replay.Name)); }
                catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
                {
                    throw new UsageException($"{replay.Name}: {e.Message}");
                }
                return modelDir is null ? record : record with { Model = modelDir };
            }
            return new GenerationRecord
            {
                Prompt = parse.GetValue(prompt) ?? throw new UsageException("give a prompt (or --replay RECORD)."),
                NegativePrompt = parse.GetValue(negative),
                Prior = Usage.Validated(() => new PriorOptions
                {
                    Steps = parse.GetValue(priorSteps), GuidanceScale = parse.GetValue(priorGuidance), Seed = parse.GetValue(seed), ImagesPerPrompt = parse.GetValue(images),
                }.Validate(), (nameof(PriorOptions.Steps), priorSteps), (nameof(PriorOptions.GuidanceScale), priorGuidance), (nameof(PriorOptions.ImagesPerPrompt), images)),
                Decode = Usage.Validated(() => new DecodeOptions
                {
                    Steps = parse.GetValue(steps), GuidanceScale = parse.GetValue(guidance), Seed = parse.GetValue(seed),
                    Width = parse.GetValue(width), Height = parse.GetValue(height), Scheduler = parse.GetValue(scheduler),
                }.Validate(), (nameof(DecodeOptions.Steps), steps), (nameof(DecodeOptions.GuidanceScale), guidance), (nameof(DecodeOptions.Width), width),
                    (nameof(DecodeOptions.Height), height), (nameof(DecodeOptions.Scheduler), scheduler)),
                Model = modelDir ?? KandinskyLab.MicroPath,
                ModelFingerprint = "",
            };
        }
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"generate: {message}");
        return 2;
    }

    static int Run(GenerationRecord request, bool replaying, string outDir, CancellationToken ct)
    {
        if (replaying && request.ModelFingerprint != ModelFingerprint.Compute(request.Model))
            return Fail($"the model at {request.Model} is not the one the record was made with (its fingerprint differs); the images would not be the same.");
        KandinskyLab lab;
        try { lab = KandinskyLab.Load(request.Model); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
        {
            return Fail($"cannot load the model: {e.Message}");
        }
        using var _ = lab;
        int imageCount = request.Prior.ImagesPerPrompt, width = request.Decode.Width ?? lab.DefaultImageSize, height = request.Decode.Height ?? lab.DefaultImageSize;
        Usage.ImagesFitInMemory(imageCount, width, height, $"--images {imageCount} --width {width} --height {height}");
        var seed = request.Prior.Seed ?? request.Decode.Seed ?? (ulong)Random.Shared.NextInt64(0, long.MaxValue);
        GenerationResult result;
        try
        {
            result = AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>
                    {
                        ["prior"] = ctx.AddTask("prior", maxValue: request.Prior.Steps),
                        ["decoder"] = ctx.AddTask("decoder", maxValue: request.Decode.Steps),
                    };
                    var progress = new SynchronousProgress<StageProgress>(p => tasks[p.Stage].Value = p.Step);
                    return lab.Generate(request.Prompt,
                        request.Prior with { Seed = seed, Callbacks = new("prior") { Progress = progress, CancellationToken = ct } },
                        request.Decode with { Seed = seed, Callbacks = new("decoder") { Progress = progress, CancellationToken = ct } },
                        request.NegativePrompt);
                });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("generate: cancelled; nothing written.");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Fail(e.Message);   // a setting the model cannot run (e.g. a scheduler it does not ship)
        }
        catch (ArithmeticException e)
        {
            Console.Error.WriteLine($"generate: {e.Message}");
            return 1;
        }
        using (result)
        {
            var dir = Directory.CreateDirectory(outDir).FullName;
            var files = new List<string>();
            for (int i = 0; i < result.Images.Count; i++)
            {
                var file = Path.Combine(dir, $"image-{seed}-{i}.png");
                Png.Save(result.Images[i], file);
                files.Add(file);
            }
            var recordPath = Path.Combine(dir, $"generation-{seed}.json");
            GenerationRecord.Of(result, request.Model, files.Select(f => Path.GetFileName(f)).ToList()).Save(recordPath);
            foreach (var f in files) Console.WriteLine(f);
            Console.WriteLine(recordPath);
        }
        return 0;
    }
}

/// <summary>An IProgress that reports on the calling thread (Spectre's display is updated from the stage's loop).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
