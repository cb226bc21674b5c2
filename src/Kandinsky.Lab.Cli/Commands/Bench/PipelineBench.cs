using System.CommandLine;
using System.Diagnostics;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;
using Kandinsky.Lab.Tensors.Kernels;
using Spectre.Console;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// `kandinsky-lab bench pipeline --model DIR [--scheduler S] [--steps N]`: text → image as `generate` runs it (one
/// generator for both stages, 512 px by default), timed per stage — text encoders, prior, decoder UNet loop, MoVQ —
/// with min/median/max over the runs, peak RSS, the op profile per stage with --profile, and each run's image.
/// Every run counts, the first (cold: weight page-in and packing) too, since that is what one `generate` pays.
/// Ctrl+C stops after the current step.
/// </summary>
public static class PipelineBench
{
    static readonly string[] Stages = ["text", "prior", "decoder", "movq"];

    public static Command Create()
    {
        var priorDefaults = new PriorOptions();
        var decodeDefaults = new DecodeOptions();
        var model = new Option<string?>("--model") { Description = "Checkpoint folder with prior/ and decoder/, e.g. make-checkpoint --preset kandinsky-2-1 --dtype f16 (default: the embedded Kandinsky-Micro)." };
        var prompt = new Option<string>("--prompt") { DefaultValueFactory = _ => "a person with blue hair wearing a red shirt" };
        var size = new Option<int?>("--size") { Description = "Image side in pixels (default: the model's, 512 for Kandinsky 2.1)." };
        var priorSteps = new Option<int>("--prior-steps") { Description = "Prior steps.", DefaultValueFactory = _ => priorDefaults.Steps };
        var steps = new Option<int>("--steps") { Description = "Decoder steps.", DefaultValueFactory = _ => decodeDefaults.Steps };
        var scheduler = new Option<DecoderSchedulerKind>("--scheduler")
        {
            Description = $"Decoder scheduler: {string.Join(", ", Enum.GetNames<DecoderSchedulerKind>())} (Default: the folder's).", DefaultValueFactory = _ => decodeDefaults.Scheduler,
        };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 42 };
        var runs = new Option<int>("--runs") { Description = "Runs (the first is cold, and counted).", DefaultValueFactory = _ => 1 };
        var threads = NetworkBench.ThreadsOption();
        var profile = NetworkBench.ProfileOption();
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where each run's image goes.", DefaultValueFactory = _ => new DirectoryInfo("out/bench-pipeline") };
        var command = new Command("pipeline", "Seconds per stage (min/median/max), peak RSS and the image of whole text-to-image runs.")
        {
            model, prompt, size, priorSteps, steps, scheduler, seed, runs, threads, profile, outDir,
        };
        command.SetAction((parse, ct) =>
        {
            var settings = SettingsOf(parse);
            try
            {
                return Task.FromResult(Run(settings, ct));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or IOException
                                       or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
            {
                Console.Error.WriteLine($"bench pipeline: {e.Message}");   // a model folder it cannot run
                return Task.FromResult(2);
            }
        });
        return command;

        Settings SettingsOf(ParseResult parse)
        {
            if (parse.AtLeast(threads, 1) is int t) Parallelism.Threads = t;
            var prior = Usage.Validated(() => new PriorOptions { Steps = parse.GetValue(priorSteps), Seed = parse.GetValue(seed) }.Validate(),
                (nameof(PriorOptions.Steps), priorSteps));
            var decode = Usage.Validated(() => new DecodeOptions
            {
                Steps = parse.GetValue(steps), Seed = parse.GetValue(seed), Scheduler = parse.GetValue(scheduler),
                Width = parse.GetValue(size), Height = parse.GetValue(size),
            }.Validate(), (nameof(DecodeOptions.Steps), steps), (nameof(DecodeOptions.Width), size), (nameof(DecodeOptions.Height), size), (nameof(DecodeOptions.Scheduler), scheduler));
            return new Settings(parse.GetValue(model) is { } dir ? Usage.Folder(dir, model.Name) : KandinskyLab.MicroPath, parse.GetValue(prompt)!, prior, decode,
                parse.AtLeast(runs, 1), parse.GetValue(profile), parse.GetValue(outDir)!.FullName);
        }
    }

    sealed record Settings(string Model, string Prompt, PriorOptions Prior, DecodeOptions Decode, int Runs, bool Profile, string OutDir);

    /// <summary>Wall seconds of each stage of one run, and (with --profile) its op profile per stage.</summary>
    sealed record RunTimes(double[] Seconds, ProfileColumn[] Profile, string Image)
    {
        public double Total => Seconds.Sum();
    }

    static int Run(Settings s, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var lab = KandinskyLab.Load(s.Model);
        int side = s.Decode.Width ?? lab.DefaultImageSize;
        Usage.ImagesFitInMemory(1, side, side, $"--size {side}");
        Console.WriteLine($"bench pipeline: {lab.Name}, {side}x{side}, {s.Prior.Steps} prior + {s.Decode.Steps} decoder steps ({s.Decode.Scheduler} scheduler), " +
            $"guidance {s.Prior.GuidanceScale}/{s.Decode.GuidanceScale}, threads {Parallelism.Threads}, GEMM {Gemm.KernelName}; load {clock.Elapsed.TotalSeconds:F1} s");
        var runs = new List<RunTimes>();
        Directory.CreateDirectory(s.OutDir);
        OpProfile.Enabled = s.Profile;
        try
        {
            for (int i = 0; i < s.Runs; i++)
            {
                var run = Once(lab, s, i, ct);
                runs.Add(run);
                Console.WriteLine($"  run {i + 1}{(i == 0 ? " (cold)" : "")}: " + string.Join("   ", Stages.Select((st, k) => $"{st} {run.Seconds[k]:F2} s")) +
                    $"   total {run.Total:F2} s   peak RSS {NetworkBench.Status("VmHWM") / 1024.0:N0} MiB   {run.Image}");
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("bench pipeline: cancelled.");
            return 130;
        }
        finally
        {
            OpProfile.Enabled = false;
        }
        for (int k = 0; k < Stages.Length; k++)
            Console.WriteLine($"  {Stages[k],-8} {RunStats.Of(runs.Select(r => r.Seconds[k]))}");
        Console.WriteLine($"  {"total",-8} {RunStats.Of(runs.Select(r => r.Total))}   peak RSS {NetworkBench.Status("VmHWM") / 1024.0:N0} MiB");
        if (s.Profile)
            OpProfileTable.Print("profile of the last run (seconds in F.* ops by kind, share of the stage):", runs[^1].Profile, speedup: false);
        return 0;
    }

    /// <summary>One text → image run with the stages timed apart: the decoder stage ends at its last step, MoVQ and post-processing follow.</summary>
    static RunTimes Once(KandinskyLab lab, Settings s, int index, CancellationToken ct)
    {
        var seconds = new double[Stages.Length];
        var profile = new ProfileColumn[Stages.Length];
        var clock = Stopwatch.StartNew();
        void Lap(int stage)
        {
            seconds[stage] = clock.Elapsed.TotalSeconds;
            profile[stage] = ProfileColumn.Recorded(Stages[stage], seconds[stage]);
            OpProfile.Reset();
            clock.Restart();
        }
        var noise = new GeneratorNoise(s.Prior.Seed!.Value);
        var image = Path.Combine(s.OutDir, $"image-{s.Decode.Scheduler}-{s.Decode.Steps}-run{index + 1}.png");
        OpProfile.Reset();
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>
                {
                    ["prior"] = ctx.AddTask($"run {index + 1} prior", maxValue: s.Prior.Steps),
                    ["decoder"] = ctx.AddTask($"run {index + 1} decoder", maxValue: s.Decode.Steps),
                };
                var progress = new SynchronousProgress<StageProgress>(p =>
                {
                    tasks[p.Stage].Value = p.Step;
                    if (p.Stage == "decoder" && p.Step == p.Total) Lap(2);
                });
                using var text = lab.EncodeText(s.Prompt);
                Lap(0);
                using var prior = lab.Prior(text, s.Prior with { Noise = noise, Callbacks = new("prior") { Progress = progress, CancellationToken = ct } });
                Lap(1);
                using var decoded = lab.Decode(prior, text, s.Decode with { Noise = noise, Callbacks = new("decoder") { Progress = progress, CancellationToken = ct } });
                Lap(3);
                Png.Save(decoded.Images[0], image);
            });
        return new RunTimes(seconds, profile, image);
    }
}
