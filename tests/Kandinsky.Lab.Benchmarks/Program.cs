using System.CommandLine;
using BenchmarkDotNet.Running;
using Kandinsky.Lab.Benchmarks.Networks;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>
/// `networks …`: our networks against ONNX Runtime on the same weights and inputs (<see cref="NetworkComparison"/>);
/// anything else goes to BenchmarkDotNet's switcher (kernel and op suites).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["networks", ..]) { BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args); return 0; }
        var nets = new Argument<string[]>("net") { Description = "unet, prior and/or movq (default: all three).", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model") { Description = "Checkpoint root with prior/ and decoder/ (make-checkpoint --preset kandinsky-2-1 --dtype f16).", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "Folder with one export_onnx.py output per network (onnx/unet, onnx/prior, onnx/movq).", Required = true };
        var threads = new Option<int>("--threads") { Description = "Threads for both sides.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var runs = new Option<int>("--runs") { Description = "Timed runs of each side after the checked first one.", DefaultValueFactory = _ => 3 };
        var command = new RootCommand("Our networks vs ONNX Runtime, same weights and inputs, alternating runs.") { nets, model, onnx, threads, runs };
        command.SetAction(parse =>
        {
            var chosen = parse.GetValue(nets) is { Length: > 0 } n ? n : ["prior", "movq", "unet"];
            if (chosen.FirstOrDefault(x => x is not ("unet" or "prior" or "movq")) is { } bad)
            {
                Console.Error.WriteLine($"networks: unknown network {bad}; give unet, prior or movq.");
                return 2;
            }
            if (parse.GetValue(threads) < 1 || parse.GetValue(runs) < 0)
            {
                Console.Error.WriteLine("networks: --threads must be at least 1 and --runs at least 0.");
                return 2;
            }
            return NetworkComparison.Run(new NetworkComparison.Options(parse.GetValue(model)!, parse.GetValue(onnx)!, chosen, parse.GetValue(threads), parse.GetValue(runs)));
        });
        return command.Parse(args[1..]).Invoke();
    }
}
