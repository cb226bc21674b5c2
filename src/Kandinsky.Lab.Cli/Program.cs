using System.CommandLine;
using Kandinsky.Lab.Cli.Commands;

namespace Kandinsky.Lab.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The `kandinsky-lab` command tree; each verb lives in its own file under Commands/, every action behind <see cref="Usage.Guard"/>.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Kandinsky.Lab — open up Kandinsky 2.1 one stage at a time.");
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(RunModuleCommand.Create());
        root.Subcommands.Add(RunTraceCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(TourCommand.Create());
        root.Subcommands.Add(BleedCommand.Create());
        root.Subcommands.Add(NotebookCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(RandnCommand.Create());
        root.Subcommands.Add(PngToTensorCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(MakeCheckpointCommand.Create());
        Usage.Guard(root);
        return root;
    }
}
