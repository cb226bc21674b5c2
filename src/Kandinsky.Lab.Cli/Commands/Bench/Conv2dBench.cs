using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>`kandinsky-lab bench conv2d`: F.Conv2d throughput at one shape (same line format as tests/Kandinsky.Lab.Benchmarks/pytorch/conv_attention_bench.py).</summary>
public static class Conv2dBench
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Batch size N.", DefaultValueFactory = _ => 1 };
        var c = new Option<int>("--c") { Description = "Input channels C.", Required = true };
        var h = new Option<int>("--h") { Description = "Input height H.", Required = true };
        var w = new Option<int>("--w") { Description = "Input width W.", Required = true };
        var o = new Option<int?>("--o") { Description = "Output channels (default C)." };
        var k = new Option<int>("--k") { Description = "Kernel size (square).", DefaultValueFactory = _ => 3 };
        var stride = new Option<int>("--stride") { Description = "Stride.", DefaultValueFactory = _ => 1 };
        var padding = new Option<int?>("--padding") { Description = "Zero padding (default k / 2)." };
        var half = new Option<bool>("--f16") { Description = "Store the weight as float16 (converted once at packing)." };
        var runs = new Option<int>("--runs") { Description = "Timed runs after a warm-up (at least 3 calls and 0.5 s); the median is printed.", DefaultValueFactory = _ => 7 };
        var threads = new Option<int?>("--threads") { Description = "Parallelism.Threads (default: all processors)." };
        var cmd = new Command("conv2d", "F.Conv2d GFLOP/s on random data (3x3 stride 1 padding 1 by default). The line names the algorithm F.Conv2d picked; " +
            "GFLOP/s counts the direct convolution's 2·N·O·OH·OW·C·k² for every algorithm (as the PyTorch script does), so Winograd's is an effective rate.")
        {
            n, c, h, w, o, k, stride, padding, half, runs, threads,
        };
        cmd.SetAction(r =>
        {
            int nn = r.AtLeast(n, 1), cc = r.AtLeast(c, 1), hh = r.AtLeast(h, 1), ww = r.AtLeast(w, 1), kk = r.AtLeast(k, 1);
            int pad = r.AtLeast(padding, 0) ?? kk / 2, oc = r.AtLeast(o, 1) ?? cc;
            if (Math.Min(hh, ww) + 2 * pad < kk)
                throw new UsageException($"--k {kk} is larger than the padded input ({hh}x{ww} with --padding {pad}).");
            // the input, weight and output, and an im2col buffer of C·k² values per input pixel
            double input = (double)nn * cc * hh * ww, output = (double)nn * oc * hh * ww, im2col = input * kk * kk;
            var shape = $"--n {nn} --c {cc} --h {hh} --w {ww} --o {oc} --k {kk}";
            Usage.FitsInTensor(Math.Max(input, output), shape);
            Usage.FitsInMemory(4 * (input + (double)oc * cc * kk * kk + output + im2col), shape);
            Console.WriteLine(Run(nn, cc, hh, ww, oc, kk, r.AtLeast(stride, 1), pad, r.GetValue(half), r.AtLeast(runs, 1), r.AtLeast(threads, 1)));
        });
        return cmd;
    }

    public static string Run(int n, int c, int h, int w, int o, int k, int stride, int padding, bool f16Weight, int runs, int? threads)
    {
        if (threads is int t) Parallelism.Threads = t;
        using var x = KernelTiming.RandomTensor(1, n, c, h, w);
        using var w32 = KernelTiming.RandomTensor(2, o, c, k, k);
        using var weight = f16Weight ? w32.ToFloat16() : w32.Alias();
        using var bias = KernelTiming.RandomTensor(3, o);
        int oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1;
        double flops = 2.0 * n * o * oh * ow * c * k * k;
        var (seconds, cpu) = KernelTiming.Median(() => F.Conv2d(x, weight, bias, stride, padding).Dispose(), runs);
        string algorithm = F.Conv2dAlgorithm(x, weight, stride, padding);
        return string.Create(CultureInfo.InvariantCulture,
            $"conv2d {n}x{c}x{h}x{w} k{k} s{stride} p{padding} -> {o}{(f16Weight ? " f16" : "")} ({algorithm}): threads {Parallelism.Threads}, median {seconds * 1e3:F2} ms (cpu {cpu * 1e3:F2} ms) of {runs}, {flops / seconds / 1e9:F1} GFLOP/s");
    }
}

/// <summary>Warm-up + median timing shared by the kernel benches of this folder.</summary>
internal static class KernelTiming
{
    /// <summary>
    /// Medians of wall time and of process CPU time (seconds) over <paramref name="runs"/> calls after
    /// <see cref="WarmUp"/>. CPU time is printed too because the machine may be shared: on an idle machine
    /// it is about threads × wall time.
    /// </summary>
    public static (double Wall, double Cpu) Median(Action body, int runs)
    {
        WarmUp(body);
        var times = new List<(double Wall, double Cpu)>();
        for (int i = 0; i < Math.Max(runs, 1); i++) times.Add(Time(body));
        return Median(times);
    }

    /// <summary>
    /// Untimed calls until at least three have run and half a second has passed, so the runtime's tiered JIT has
    /// recompiled the hot library code (vector primitives included) with full optimisation before anything is timed.
    /// </summary>
    public static void WarmUp(Action body)
    {
        var sw = Stopwatch.StartNew();
        for (int calls = 0; calls < 3 || sw.Elapsed.TotalSeconds < 0.5; calls++) body();
    }

    /// <summary>Wall and process CPU seconds of one call.</summary>
    public static (double Wall, double Cpu) Time(Action body)
    {
        double cpu0 = CpuClock.ProcessSeconds();
        var sw = Stopwatch.StartNew();
        body();
        return (sw.Elapsed.TotalSeconds, CpuClock.ProcessSeconds() - cpu0);
    }

    /// <summary>Medians of the wall and CPU times, each taken on its own.</summary>
    public static (double Wall, double Cpu) Median(IReadOnlyList<(double Wall, double Cpu)> times)
    {
        return (RunStats.Of(times.Select(t => t.Wall)).Median, RunStats.Of(times.Select(t => t.Cpu)).Median);
    }

    public static Tensor RandomTensor(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var values = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(values, shape);
    }
}
