using System.CommandLine;
using Kandinsky.Lab.Cli.Commands.Bench;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab bench …`: kernel and network speed. Each subcommand lives in Commands/Bench/ and is registered here with one line.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernels and networks (GFLOP/s, seconds, peak memory).");
        bench.Subcommands.Add(GemmBench.Create());
        bench.Subcommands.Add(Conv2dBench.Create());
        bench.Subcommands.Add(AttentionBench.Create());
        bench.Subcommands.Add(UNetBench.Create());
        bench.Subcommands.Add(PriorBench.Create());
        bench.Subcommands.Add(MoVQBench.Create());
        bench.Subcommands.Add(GenerateBench.Create());
        bench.Subcommands.Add(PipelineBench.Create());
        return bench;
    }
}
