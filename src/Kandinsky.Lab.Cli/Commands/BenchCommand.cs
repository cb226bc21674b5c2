using System.CommandLine;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab bench …`: kernel and network speed.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure kernels and networks (GFLOP/s, seconds, peak memory).");
        bench.Subcommands.Add(BenchConv2dCommand.Create());
        bench.Subcommands.Add(BenchAttentionCommand.Create());
        return bench;
    }
}
