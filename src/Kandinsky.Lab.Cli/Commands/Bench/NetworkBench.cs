using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// Shared plumbing of the network benches (unet, prior, movq): finding a component in a checkpoint folder,
/// timing whole forward passes, and the process's memory (VmRSS now, split into anonymous memory — activations,
/// packed weights — and file-backed pages of the memory-mapped checkpoint; VmHWM = peak resident set).
/// </summary>
internal static class NetworkBench
{
    public static Option<string> ModelOption() => new("--model")
    {
        Description = "Checkpoint root (with prior/ and decoder/), a pipeline folder, or the component folder itself.",
        Required = true,
    };

    public static Option<int> RunsOption() => new("--runs") { Description = "Timed runs after the first (cold) one; min, median and max are reported.", DefaultValueFactory = _ => 2 };

    public static Option<int?> ThreadsOption() => new("--threads") { Description = "Worker threads (default: all cores)." };

    /// <summary>`--threads 1 2`: the thread counts a network bench times, in turn within each run.</summary>
    public static Option<int[]> ThreadCountsOption() => new("--threads")
    {
        Description = "Worker threads; several (e.g. --threads 1 2) are timed alternately and their scaling printed (default: all cores).",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<bool> ProfileOption() => new("--profile")
    {
        Description = "Share of each timed run in GEMM, conv, attention, norms, elementwise and shape ops (F.* counters, free when off).",
    };

    /// <summary>What a network bench was asked to time: <paramref name="Runs"/> timed runs at each of <paramref name="Threads"/>, with or without the op profile.</summary>
    public sealed record Settings(int Runs, int[] Threads, bool Profile);

    /// <summary>The <see cref="Settings"/> of a parsed network bench command built with <see cref="RunsOption"/>, <see cref="ThreadCountsOption"/> and <see cref="ProfileOption"/>.</summary>
    public static Settings SettingsOf(ParseResult parse, Option<int> runs, Option<int[]> threads, Option<bool> profile)
    {
        var counts = parse.AtLeast(threads, 1) is { Length: > 0 } t ? t : [Parallelism.Threads];
        return new Settings(parse.AtLeast(runs, 0), counts, parse.GetValue(profile));
    }

    /// <summary>The latent side of image side <paramref name="size"/> (a positive multiple of the MoVQ <paramref name="scale"/> factor) for a batch that fits in memory.</summary>
    public static int LatentSide(ParseResult parse, Option<int> size, int scale, int batch)
    {
        int pixels = parse.GetValue(size);
        if (pixels < scale || pixels % scale != 0)
            throw new UsageException($"{size.Name} must be a positive multiple of {scale}, the MoVQ scale factor (got {pixels}).");
        Usage.ImagesFitInMemory(batch, pixels, pixels, $"{size.Name} {pixels}");
        return pixels / scale;
    }

    /// <summary>The folder of <paramref name="component"/> of the <paramref name="pipeline"/> pipeline under <paramref name="model"/>.</summary>
    public static string FindComponent(string model, string pipeline, string component)
    {
        string[] candidates = [Path.Combine(model, pipeline, component), Path.Combine(model, component), model];
        foreach (var dir in candidates)
            if (File.Exists(Path.Combine(dir, "config.json")) && !File.Exists(Path.Combine(dir, "model_index.json"))) return dir;
        throw new UsageException($"--model: no {pipeline}/{component} component (a folder with config.json) under {model}; looked in {string.Join(", ", candidates)}.");
    }

    /// <summary>
    /// Loads with timing, times one cold call of <paramref name="step"/>, then <see cref="Settings.Runs"/> rounds that
    /// time it once at each thread count (alternating, so machine load hits every count alike), printing seconds,
    /// memory, min/median/max per thread count, the scaling and, with <see cref="Settings.Profile"/>, where the time goes.
    /// </summary>
    public static int Run<TModel>(string title, Func<TModel> load, Func<TModel, Action> prepare, Settings settings) where TModel : IDisposable
    {
        Parallelism.Threads = settings.Threads[0];
        Console.WriteLine($"{title} (threads {string.Join(", ", settings.Threads)}; GEMM {Gemm.KernelName})");
        var clock = Stopwatch.StartNew();
        using var model = load();
        Console.WriteLine($"  load:      {clock.Elapsed.TotalSeconds,8:F2} s   {Memory()}");
        var step = prepare(model);
        var (firstWall, firstCpu) = Time(step);
        Console.WriteLine($"  first run: {firstWall,8:F2} s   cpu {firstCpu,8:F2} s   {Memory()}   (threads {settings.Threads[0]}; includes weight page-in and packing)");
        var timings = settings.Threads.Select(t => new ThreadTimings(t)).ToArray();
        OpProfile.Enabled = settings.Profile;
        try
        {
            for (int i = 0; i < settings.Runs; i++)
                foreach (var timing in timings)
                {
                    Parallelism.Threads = timing.Threads;
                    OpProfile.Reset();
                    var (wall, cpu) = Time(step);
                    timing.Add(wall, cpu);
                    Console.WriteLine($"  run {i + 1}:     {wall,8:F2} s   cpu {cpu,8:F2} s   {Memory()}   (threads {timing.Threads})");
                }
        }
        finally
        {
            OpProfile.Enabled = false;
        }
        if (settings.Runs == 0) return 0;
        foreach (var timing in timings)
            Console.WriteLine($"  threads {timing.Threads,2}: {RunStats.Of(timing.Walls)}   cpu median {RunStats.Of(timing.Cpus).Median:F2} s");
        Console.WriteLine($"  peak RSS {Status("VmHWM") / 1024.0:N0} MiB");
        for (int i = 1; i < timings.Length; i++)
            Console.WriteLine($"  scaling: {timings[i].Threads} threads run {RunStats.Of(timings[0].Walls).Median / RunStats.Of(timings[i].Walls).Median:F2}x as fast as {timings[0].Threads} (medians)");
        if (settings.Profile)
            OpProfileTable.Print("profile (mean wall seconds per run in F.* ops by kind, share of the run, cores busy = CPU / wall; speedup: first thread count / last):",
                timings.Select(t => new ProfileColumn($"threads {t.Threads}", t.Walls.Average(), [.. t.OpSeconds.Select(x => x / t.Walls.Count)], [.. t.OpCpuSeconds.Select(x => x / t.Walls.Count)])).ToList(),
                speedup: timings.Length > 1);
        return 0;
    }

    /// <summary>The timed runs at one thread count, and the op profile summed over them.</summary>
    sealed class ThreadTimings(int threads)
    {
        public int Threads { get; } = threads;
        public List<double> Walls { get; } = [];
        public List<double> Cpus { get; } = [];
        public double[] OpSeconds { get; } = new double[Enum.GetValues<OpKind>().Length];
        public double[] OpCpuSeconds { get; } = new double[Enum.GetValues<OpKind>().Length];

        public void Add(double wall, double cpu)
        {
            Walls.Add(wall);
            Cpus.Add(cpu);
            foreach (var (kind, seconds, cpuSeconds, _) in OpProfile.Totals())
            {
                OpSeconds[(int)kind] += seconds;
                OpCpuSeconds[(int)kind] += cpuSeconds;
            }
        }
    }

    static (double Wall, double Cpu) Time(Action step)
    {
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        step();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }

    public static string Memory() => OperatingSystem.IsLinux()
        ? $"RSS {Status("VmRSS") / 1024.0,7:N0} MiB (anonymous {Status("RssAnon") / 1024.0:N0}, file-backed {Status("RssFile") / 1024.0:N0})   peak {Status("VmHWM") / 1024.0,7:N0} MiB"
        : $"working set {Environment.WorkingSet / 1048576.0:N0} MiB";

    /// <summary>A kB value of /proc/self/status (VmRSS, VmHWM …); 0 where unavailable.</summary>
    public static long Status(string key)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>Uniform values in [-1, 1) from a seeded generator: inputs of the right shape, no meaning.</summary>
    public static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Empty(shape);
        var span = t.AsSpan();
        for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
