using System.CommandLine;
using System.Diagnostics;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// `kandinsky-lab bench gemm --m M --k K --n N [--threads T] [--runs R] [--openblas]`: C = A·Wᵀ as F.Linear
/// runs it (A [M, K] row-major, weight [N, K] packed once, like a loaded model), median GFLOP/s after a
/// warm-up; with --openblas, cblas_sgemm on the same operands and thread count, alternating run by run so
/// both see the same machine load, then the ratio.
/// </summary>
public static class GemmBench
{
    public static Command Create()
    {
        var m = new Option<int>("--m") { Description = "Rows of A (tokens).", Required = true };
        var k = new Option<int>("--k") { Description = "Reduction size (input features).", Required = true };
        var n = new Option<int>("--n") { Description = "Columns of C (output features).", Required = true };
        var threads = new Option<int>("--threads") { Description = "Threads for ours and OpenBLAS (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var runs = new Option<int>("--runs") { Description = "Timed runs per implementation (median reported).", DefaultValueFactory = _ => 9 };
        var openBlas = new Option<bool>("--openblas") { Description = "Also time OpenBLAS cblas_sgemm and print the ratio. The line names the kernels OpenBLAS chose for this CPU; OPENBLAS_CORETYPE=SkylakeX or Cooperlake forces its AVX-512 ones." };
        var cpuTime = new Option<bool>("--cpu-time") { Description = "With --threads 1: time by the thread's CPU clock instead of the wall clock (steadier on a shared machine; Linux)." };
        var command = new Command("gemm", "GEMM speed in GFLOP/s for C[M, N] = A[M, K]·W[N, K]ᵀ.") { m, k, n, threads, runs, openBlas, cpuTime };
        command.SetAction(parse => Run(parse.AtLeast(m, 1), parse.AtLeast(k, 1), parse.AtLeast(n, 1), parse.AtLeast(threads, 1), parse.AtLeast(runs, 1), parse.GetValue(openBlas), parse.GetValue(cpuTime)));
        return command;
    }

    static unsafe int Run(int m, int k, int n, int threads, int runs, bool withOpenBlas, bool cpuTime)
    {
        var sizes = $"--m {m} --k {k} --n {n}";
        Usage.FitsInTensor(Math.Max((double)m * n, Math.Max((double)m, n) * k), sizes);
        Usage.FitsInMemory(4.0 * (2.0 * m * k + 2.0 * n * k + 2.0 * m * n), sizes);   // A, W and its packed copy, both C
        if (cpuTime && (threads != 1 || !OperatingSystem.IsLinux()))
            throw new UsageException($"--cpu-time needs --threads 1 on Linux (got --threads {threads}).");
        OpenBlas? blas = null;
        if (withOpenBlas)
        {
            blas = OpenBlas.TryLoad(out var error);
            if (blas == null) Console.Error.WriteLine($"bench gemm: {error} Timing ours only.");
            else blas.Threads = threads;
        }
        Parallelism.Threads = threads;
        var rng = new Random(42);
        using var a = RandomTensor(rng, m, k);
        using var w = RandomTensor(rng, n, k);
        using var ours = Tensor.Zeros(m, n);
        using var theirs = Tensor.Zeros(m, n);
        using var packed = PackedB.FromWeight(w);
        var src = new StridedA(a.Data, k, 1);

        Func<Action, double> time = cpuTime ? ThreadCpuTime : WallTime;
        double Ours() => time(() => Gemm.Run(src, m, packed, ours.Data, n));
        double Theirs() => time(() => blas!.Sgemm(false, true, m, n, k, 1f, a.Data, k, w.Data, k, 0f, theirs.Data, n));

        var oursTimes = new List<double>();
        var theirTimes = new List<double>();
        KernelTiming.WarmUp(() => Ours());
        if (blas != null) KernelTiming.WarmUp(() => Theirs());
        for (int r = 0; r < runs; r++)
        {
            oursTimes.Add(Ours());
            if (blas != null) theirTimes.Add(Theirs());
        }
        double flops = 2.0 * m * n * k;
        double oursGflops = flops / Median(oursTimes) / 1e9;
        string shape = $"{m}x{k}x{n} (MxKxN){(cpuTime ? " cpu-time" : "")}";
        Console.WriteLine($"kandinsky ({Gemm.KernelName}) {shape} threads={threads} median of {runs}: {Median(oursTimes) * 1e3:F3} ms, {oursGflops:F1} GFLOP/s");
        if (blas != null)
        {
            double theirGflops = flops / Median(theirTimes) / 1e9;
            Console.WriteLine($"openblas ({blas.CoreName}) {shape} threads={threads} median of {runs}: {Median(theirTimes) * 1e3:F3} ms, {theirGflops:F1} GFLOP/s");
            Console.WriteLine($"ratio kandinsky/openblas {oursGflops / theirGflops:F3} (max |difference| {MaxDifference(ours, theirs):G3})");
        }
        return 0;
    }

    static double WallTime(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    static double ThreadCpuTime(Action action)
    {
        double start = CpuClock.ThreadSeconds();
        action();
        return CpuClock.ThreadSeconds() - start;
    }

    static double Median(List<double> values) => RunStats.Of(values).Median;

    static Tensor RandomTensor(Random rng, int rows, int cols)
    {
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, rows, cols);
    }

    static float MaxDifference(Tensor x, Tensor y)
    {
        var a = x.AsSpan();
        var b = y.AsSpan();
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }
}
