using System.CommandLine;
using System.Diagnostics;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// `kandinsky-lab bench generate [--model DIR]`: whole text → image runs (default: Kandinsky-Micro, 64×64, 25 prior +
/// 50 decoder steps, guidance 4 on both), reported as seconds per image and images per second; `--attention-capture` prices the attention maps.
/// </summary>
public static class GenerateBench
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Checkpoint folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro)." };
        var priorSteps = new Option<int>("--prior-steps") { DefaultValueFactory = _ => 25 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 50 };
        var images = new Option<int>("--images") { Description = "Images per run (one batch).", DefaultValueFactory = _ => 1 };
        var capture = new Option<bool>("--attention-capture") { Description = "Capture the decoder's attention maps (the cost of DecodeOptions.AttentionCapture: compare a run with and without)." };
        var runs = NetworkBench.RunsOption();
        var threads = NetworkBench.ThreadsOption();
        var command = new Command("generate", "Seconds per image of a whole text-to-image run.") { model, priorSteps, steps, images, capture, runs, threads };
        command.SetAction(parse =>
        {
            var prior = Usage.Validated(() => new PriorOptions { Steps = parse.GetValue(priorSteps), ImagesPerPrompt = parse.GetValue(images) }.Validate(),
                (nameof(PriorOptions.Steps), priorSteps), (nameof(PriorOptions.ImagesPerPrompt), images));
            var decode = Usage.Validated(() => new DecodeOptions { Steps = parse.GetValue(steps), AttentionCapture = parse.GetValue(capture) ? new AttentionCaptureOptions() : null }.Validate(),
                (nameof(DecodeOptions.Steps), steps));
            int n = prior.ImagesPerPrompt, ps = prior.Steps, ds = decode.Steps, timedRuns = Math.Max(1, parse.AtLeast(runs, 0));
            if (parse.AtLeast(threads, 1) is int t) Parallelism.Threads = t;
            using var lab = KandinskyLab.Load(parse.GetValue(model) is { } dir ? Usage.Folder(dir, model.Name) : KandinskyLab.MicroPath);
            Usage.ImagesFitInMemory(n, lab.DefaultImageSize, lab.DefaultImageSize, $"--images {n} at {lab.DefaultImageSize}x{lab.DefaultImageSize}");
            Console.WriteLine($"bench generate: {lab.Name}, {lab.DefaultImageSize}x{lab.DefaultImageSize}, {ps} prior + {ds} decoder steps, guidance 4, {n} image(s) per run, "
                + $"attention capture {(decode.AttentionCapture == null ? "off" : "on")} (threads {Parallelism.Threads})");
            double Once(int seed)
            {
                var sw = Stopwatch.StartNew();
                using var r = lab.Generate("a person with blue hair wearing a red shirt", prior with { Seed = (ulong)seed }, decode);
                return sw.Elapsed.TotalSeconds;
            }
            Console.WriteLine($"  warm-up:   {Once(0),8:F2} s");
            var times = Enumerable.Range(1, timedRuns).Select(Once).ToList();
            foreach (var (time, i) in times.Select((x, i) => (x, i))) Console.WriteLine($"  run {i + 1}:     {time,8:F2} s");
            var stats = RunStats.Of(times);
            Console.WriteLine($"  runs:      {stats}; median {stats.Median / n:F3} s per image = {n / stats.Median:F2} images/s   peak RSS {NetworkBench.Status("VmHWM") / 1024.0:N0} MiB");
            return 0;
        });
        return command;
    }
}
