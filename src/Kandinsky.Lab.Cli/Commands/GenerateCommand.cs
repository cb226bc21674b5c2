using System.CommandLine;
using System.Text.Json;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;
using Spectre.Console;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab generate "prompt" …`: text → image with a progress bar per stage; writes the PNGs and a JSON
/// record of every parameter, the seed and the model fingerprint. Ctrl+C stops after the current step.
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var prompt = new Argument<string>("prompt") { Description = "What to draw." };
        var model = new Option<DirectoryInfo?>("--model") { Description = "Checkpoint folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro)." };
        var negative = new Option<string?>("--negative") { Description = "Negative prompt (default: none — the prior's negative is the zero-image embedding, the decoder's \"\")." };
        var priorSteps = new Option<int>("--prior-steps") { Description = "Prior (UnCLIP) steps.", DefaultValueFactory = _ => 25 };
        var steps = new Option<int>("--steps") { Description = "Decoder steps.", DefaultValueFactory = _ => 100 };
        var guidance = new Option<float>("--guidance") { Description = "Decoder guidance scale.", DefaultValueFactory = _ => 4f };
        var priorGuidance = new Option<float>("--prior-guidance") { Description = "Prior guidance scale.", DefaultValueFactory = _ => 4f };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the torch-compatible generator (default: random, recorded)." };
        var width = new Option<int?>("--width") { Description = "Image width (default: the model's size; rounded up as get_new_h_w does)." };
        var height = new Option<int?>("--height") { Description = "Image height." };
        var images = new Option<int>("--images") { Description = "Images per prompt.", DefaultValueFactory = _ => 1 };
        var scheduler = new Option<DecoderSchedulerKind>("--scheduler") { Description = "Decoder scheduler: Default (the folder's), Ddim or Ddpm.", DefaultValueFactory = _ => DecoderSchedulerKind.Default };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Output folder.", DefaultValueFactory = _ => new DirectoryInfo("out") };
        var command = new Command("generate", "Generate images from a prompt, writing PNGs and a reproducibility record.")
        {
            prompt, model, negative, priorSteps, steps, guidance, priorGuidance, seed, width, height, images, scheduler, outDir,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, ct, prompt, model, negative, priorSteps, steps, guidance, priorGuidance, seed, width, height, images, scheduler, outDir)));
        return command;
    }

    static int Run(ParseResult parse, CancellationToken ct, Argument<string> prompt, Option<DirectoryInfo?> model, Option<string?> negative,
        Option<int> priorSteps, Option<int> steps, Option<float> guidance, Option<float> priorGuidance, Option<ulong?> seed, Option<int?> width,
        Option<int?> height, Option<int> images, Option<DecoderSchedulerKind> scheduler, Option<DirectoryInfo> outDir)
    {
        var modelDir = parse.GetValue(model)?.FullName ?? KandinskyLab.MicroPath;
        var usedSeed = parse.GetValue(seed) ?? (ulong)Random.Shared.NextInt64(0, long.MaxValue);
        var text = parse.GetValue(prompt)!;
        if (parse.GetValue(steps) < 1 || parse.GetValue(priorSteps) < 2 || parse.GetValue(images) < 1)
        {
            Console.Error.WriteLine("generate: --steps must be ≥ 1, --prior-steps ≥ 2 and --images ≥ 1.");
            return 2;
        }
        KandinskyLab lab;
        try { lab = KandinskyLab.Load(modelDir); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
        {
            Console.Error.WriteLine($"generate: cannot load the model: {e.Message}");
            return 2;
        }
        using var _ = lab;
        GenerationResult result;
        try
        {
            result = AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>
                    {
                        ["prior"] = ctx.AddTask("prior", maxValue: parse.GetValue(priorSteps)),
                        ["decoder"] = ctx.AddTask("decoder", maxValue: parse.GetValue(steps)),
                    };
                    var progress = new SynchronousProgress<StageProgress>(p => tasks[p.Stage].Value = p.Step);
                    return lab.Generate(text, parse.GetValue(negative), parse.GetValue(priorSteps), parse.GetValue(steps), parse.GetValue(guidance),
                        parse.GetValue(priorGuidance), usedSeed, parse.GetValue(width), parse.GetValue(height), parse.GetValue(images),
                        parse.GetValue(scheduler), progress: progress, cancellationToken: ct);
                });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("generate: cancelled; nothing written.");
            return 130;
        }
        catch (ArithmeticException e)
        {
            Console.Error.WriteLine($"generate: {e.Message}");
            return 1;
        }
        using (result)
        {
            var dir = Directory.CreateDirectory(parse.GetValue(outDir)!.FullName).FullName;
            var files = new List<string>();
            for (int i = 0; i < result.Images.Count; i++)
            {
                var file = Path.Combine(dir, $"image-{usedSeed}-{i}.png");
                Png.Save(result.Images[i], file);
                files.Add(file);
            }
            var record = new
            {
                prompt = text,
                negative_prompt = parse.GetValue(negative),
                prior_steps = parse.GetValue(priorSteps),
                prior_guidance_scale = parse.GetValue(priorGuidance),
                steps = parse.GetValue(steps),
                guidance_scale = parse.GetValue(guidance),
                scheduler = result.Decoder.Settings.Scheduler,
                seed = usedSeed,
                width = result.Decoder.Settings.Width,
                height = result.Decoder.Settings.Height,
                images_per_prompt = parse.GetValue(images),
                model = modelDir,
                model_fingerprint_sha256 = ModelFingerprint.Compute(modelDir),
                images = files.Select(f => Path.GetFileName(f)).ToArray(),
                lab_version = typeof(KandinskyLab).Assembly.GetName().Version?.ToString(),
                created_utc = DateTime.UtcNow.ToString("O"),
            };
            var recordPath = Path.Combine(dir, $"generation-{usedSeed}.json");
            File.WriteAllText(recordPath, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
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
