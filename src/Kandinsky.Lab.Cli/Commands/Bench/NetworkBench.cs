using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kandinsky.Lab.Tensors;

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

    public static Option<int> RunsOption() => new("--runs") { Description = "Timed runs after the first (cold) one; the median is reported.", DefaultValueFactory = _ => 2 };

    public static Option<int?> ThreadsOption() => new("--threads") { Description = "Worker threads (default: all cores)." };

    /// <summary>The folder of <paramref name="component"/> of the <paramref name="pipeline"/> pipeline under <paramref name="model"/>.</summary>
    public static string FindComponent(string model, string pipeline, string component)
    {
        string[] candidates = [Path.Combine(model, pipeline, component), Path.Combine(model, component), model];
        foreach (var dir in candidates)
            if (File.Exists(Path.Combine(dir, "config.json")) && !File.Exists(Path.Combine(dir, "model_index.json"))) return dir;
        throw new DirectoryNotFoundException($"No {pipeline}/{component} component (a folder with config.json) under {model}; looked in {string.Join(", ", candidates)}.");
    }

    /// <summary>Loads with timing, then times one cold and <paramref name="runs"/> warm calls of <paramref name="step"/>, printing seconds and memory.</summary>
    public static int Run<TModel>(string title, Func<TModel> load, Func<TModel, Action> prepare, int runs, int? threads) where TModel : IDisposable
    {
        if (threads is int t) Parallelism.Threads = t;
        Console.WriteLine($"{title} (threads {Parallelism.Threads})");
        var clock = Stopwatch.StartNew();
        using var model = load();
        Console.WriteLine($"  load:      {clock.Elapsed.TotalSeconds,8:F2} s   {Memory()}");
        var step = prepare(model);
        var (firstWall, firstCpu) = Time(step);
        Console.WriteLine($"  first run: {firstWall,8:F2} s   cpu {firstCpu,8:F2} s   {Memory()}   (includes weight page-in and packing)");
        var walls = new List<double>();
        var cpus = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var (wall, cpu) = Time(step);
            walls.Add(wall);
            cpus.Add(cpu);
            Console.WriteLine($"  run {i + 1}:     {wall,8:F2} s   cpu {cpu,8:F2} s   {Memory()}");
        }
        if (runs > 0) Console.WriteLine($"  median:    {Median(walls),8:F2} s   cpu {Median(cpus),8:F2} s   peak RSS {Status("VmHWM") / 1024.0:N0} MiB");
        return 0;
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

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    static string Memory() => OperatingSystem.IsLinux()
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
