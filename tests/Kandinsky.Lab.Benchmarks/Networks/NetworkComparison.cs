using System.Diagnostics;
using Kandinsky.Lab.Cli.Commands.Bench;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = Kandinsky.Lab.Tensors.Tensor;

namespace Kandinsky.Lab.Benchmarks.Networks;

/// <summary>
/// `networks`: our port and ONNX Runtime (in process, CPU, full graph optimisation) on the same network, the same
/// weights and the same inputs — those export_onnx.py traced diffusers with — timed alternately (ours, ORT, ours,
/// ORT …) so machine load hits both alike. Both outputs are first checked against diffusers' own output: a fast
/// wrong graph cannot pass. Whole steps take seconds, so this is a timed loop, not a BenchmarkDotNet job.
/// </summary>
public static class NetworkComparison
{
    /// <summary>Relative tolerance (of max |expected|) for ours and ORT against diffusers, float32 both sides.</summary>
    const double Tolerance = 1e-3;

    public sealed record Options(string Model, string OnnxRoot, string[] Nets, int Threads, int Runs);

    /// <summary>Times each of <see cref="Options.Nets"/>; a network without its export is skipped with how to make it. Returns 1 if a check failed.</summary>
    public static int Run(Options o)
    {
        Parallelism.Threads = o.Threads;
        Console.WriteLine($"networks: ours (GEMM {Gemm.KernelName}) vs ONNX Runtime {OrtEnv.Instance().GetVersionString()}, threads {o.Threads}, {o.Runs} alternating runs each");
        int failures = 0;
        foreach (var net in o.Nets)
        {
            var folder = Path.Combine(o.OnnxRoot, net);
            if (ExportedCase.TryLoad(folder) is not { } exported)
            {
                Console.WriteLine($"{net}: skipped, no export in {folder}. Make it with:\n  {ExportedCase.HowToMake(net, folder)}");
                continue;
            }
            if (!Compare(net, exported, o)) failures++;
            GC.Collect();
        }
        return failures == 0 ? 0 : 1;
    }

    static bool Compare(string net, ExportedCase exported, Options o)
    {
        Console.WriteLine($"{Title(net)}: inputs and diffusers' output from {exported.Folder}");
        var clock = Stopwatch.StartNew();
        using var ours = Ours(net, o.Model, exported);
        Console.WriteLine($"  load: ours {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        using var ort = new OrtSide(exported, o.Threads);
        Console.WriteLine($"  load: ONNX Runtime {clock.Elapsed.TotalSeconds:F1} s");
        // First (cold) runs: page-in, packing, ORT's arena; their outputs are the ones checked.
        bool ok = Check("ours", exported, ours.Run()) & Check("ONNX Runtime", exported, ort.Run());
        if (!ok) return false;
        var oursTimes = new List<(double Wall, double Cpu)>();
        var ortTimes = new List<(double Wall, double Cpu)>();
        for (int i = 0; i < o.Runs; i++)
        {
            oursTimes.Add(Seconds(() => ours.Run()));
            ortTimes.Add(Seconds(() => ort.Run()));
            Console.WriteLine($"  run {i + 1}: ours {oursTimes[^1].Wall,7:F3} s (cpu {oursTimes[^1].Cpu,7:F3} s)   ONNX Runtime {ortTimes[^1].Wall,7:F3} s (cpu {ortTimes[^1].Cpu,7:F3} s)");
        }
        if (o.Runs == 0) return true;
        var (us, them) = (RunStats.Of(oursTimes.Select(t => t.Wall)), RunStats.Of(ortTimes.Select(t => t.Wall)));
        var (usCpu, themCpu) = (RunStats.Of(oursTimes.Select(t => t.Cpu)).Median, RunStats.Of(ortTimes.Select(t => t.Cpu)).Median);
        Console.WriteLine($"  ours:         {us}   cpu median {usCpu:F2} s");
        Console.WriteLine($"  ONNX Runtime: {them}   cpu median {themCpu:F2} s");
        Console.WriteLine($"  {Title(net)}: ours {us.Median:F3} s, ONNX Runtime {them.Median:F3} s: ours is {them.Median / us.Median:F2}x ONNX Runtime's speed " +
            $"({themCpu / usCpu:F2}x in CPU seconds; medians; peak RSS {PeakRssGiB():F1} GiB, both in this process)");
        return true;
    }

    static string Title(string net) => net switch
    {
        "prior" => "prior CFG step (batch 2)",
        "unet" => "UNet CFG step (batch 2)",
        _ => "MoVQ decode",
    };

    static bool Check(string who, ExportedCase exported, float[] got)
    {
        var (err, max) = exported.Compare(got);
        bool ok = err <= Tolerance * Math.Max(max, 1e-6);
        Console.WriteLine($"  check {who} against diffusers: max |err| {err:G3} (max |out| {max:G3}, tolerance {Tolerance:G1} of it): {(ok ? "ok" : "FAILED, not timed")}");
        return ok;
    }

    /// <summary>Wall and process CPU seconds of one call (CPU seconds stay comparable on a loaded machine).</summary>
    static (double Wall, double Cpu) Seconds(Action a)
    {
        double cpu = CpuClock.ProcessSeconds();
        var sw = Stopwatch.StartNew();
        a();
        return (sw.Elapsed.TotalSeconds, CpuClock.ProcessSeconds() - cpu);
    }

    static double PeakRssGiB() => Process.GetCurrentProcess().PeakWorkingSet64 / (double)(1L << 30);

    /// <summary>A network that runs the case's inputs and returns its output as floats.</summary>
    interface ISide : IDisposable
    {
        float[] Run();
    }

    /// <summary>Our network for <paramref name="net"/> from the diffusers-layout checkpoint, fed the exported inputs.</summary>
    static ISide Ours(string net, string model, ExportedCase c)
    {
        Tensor F32(string name) => Tensor.FromArray(c[name].Floats(), c[name].Shape);
        switch (net)
        {
            case "unet":
            {
                var unet = UNet2DConditionModel.Load(Path.Combine(model, "decoder", "unet"));
                var (x, ehs, te, ie) = (F32("x"), F32("ehs"), F32("te"), F32("ie"));
                var t = c["t"].Longs();
                return new OurSide(() => unet.Forward(x, t, ehs, te, ie), unet, x, ehs, te, ie);
            }
            case "prior":
            {
                var prior = PriorTransformer.Load(Path.Combine(model, "prior", "prior"));
                var (h, proj, ehs) = (F32("h"), F32("proj"), F32("ehs"));
                var t = c["t"].Longs();
                var keep = c["mask"].Bools();
                var shape = c["mask"].Shape;
                var mask = new long[shape[0], shape[1]];
                for (int i = 0; i < keep.Length; i++) mask[i / shape[1], i % shape[1]] = keep[i] ? 1 : 0;
                return new OurSide(() => prior.Forward(h, t, proj, ehs, mask), prior, h, proj, ehs);
            }
            case "movq":
            {
                var movq = VQModel.Load(Path.Combine(model, "decoder", "movq"));
                var z = F32("z");
                return new OurSide(() => movq.Decode(z), movq, z);
            }
            default:
                throw new ArgumentException($"unknown network {net}: unet, prior or movq.");
        }
    }

    sealed class OurSide(Func<Tensor> forward, params IDisposable[] owned) : ISide
    {
        public float[] Run()
        {
            using var y = forward();
            return y.ToArray();
        }

        public void Dispose()
        {
            foreach (var d in owned) d.Dispose();
        }
    }

    /// <summary>ONNX Runtime on model.onnx: CPU, all graph optimisations, <c>threads</c> intra-op threads, sequential.</summary>
    sealed class OrtSide : ISide
    {
        readonly SessionOptions _options;
        readonly InferenceSession _session;
        readonly List<NamedOnnxValue> _inputs = [];

        public OrtSide(ExportedCase c, int threads)
        {
            _options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
            _session = new InferenceSession(c.ModelPath, _options);
            foreach (var name in _session.InputMetadata.Keys)
            {
                var input = c[name];
                _inputs.Add(input.DType switch
                {
                    "float32" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(input.Floats(), input.Shape)),
                    "int64" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(input.Longs(), input.Shape)),
                    "bool" => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(input.Bools(), input.Shape)),
                    _ => throw new InvalidDataException($"{c.Folder}: input {name} has dtype {input.DType}; float32, int64 or bool expected."),
                });
            }
        }

        public float[] Run()
        {
            using var results = _session.Run(_inputs);
            return results.First().AsEnumerable<float>().ToArray();
        }

        public void Dispose()
        {
            _session.Dispose();
            _options.Dispose();
        }
    }
}
