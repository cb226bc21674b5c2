using System.Diagnostics;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Tests.Notebooks;

namespace Kandinsky.Lab.Tests.Cli;

/// <summary>Ctrl+C as a user presses it: SIGINT to the `kandinsky-lab notebook run` process while a cell decodes.</summary>
public class NotebookInterruptTests
{
    [Fact]
    public async Task CtrlCStopsTheDecodeWithinOneStepAndKeepsTheInterruptedRecord()
    {
        var dir = Directory.CreateTempSubdirectory("kl-cli-interrupt-").FullName;
        var steps = Path.Combine(dir, "steps");
        var notebook = new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject(),
            ["cells"] = new JsonArray(new JsonObject
            {
                ["cell_type"] = "code", ["metadata"] = new JsonObject(), ["outputs"] = new JsonArray(), ["execution_count"] = null,
                ["source"] = NotebookRunnerTests.LongDecodeCell(steps),
            }),
        };
        File.WriteAllText(Path.Combine(dir, "long.ipynb"), notebook.ToJsonString());

        // A test host started in the background inherits SIGINT ignored; reset it to the default, as a terminal has it.
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
                     "dotnet", Path.Combine(AppContext.BaseDirectory, "kandinsky-lab.dll"), "notebook", "run", "long.ipynb", "--out", "out" })
            psi.ArgumentList.Add(a);
        if (!File.Exists(psi.FileName)) Assert.Fail("/usr/bin/python3 (Debian's, installed by environment/setup.sh) is needed to start the CLI with SIGINT at its default");
        using var cli = Process.Start(psi)!;
        var stderr = cli.StandardError.ReadToEndAsync();
        _ = cli.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (StepsDone(steps) < 3 && !cli.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
        if (cli.HasExited) Assert.Fail($"the CLI ended before the decode reached step 3: {await stderr}");
        using (var kill = Process.Start("kill", ["-INT", cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        int atInterrupt = StepsDone(steps);
        if (!cli.WaitForExit(TimeSpan.FromMinutes(2))) { cli.Kill(); Assert.Fail("the CLI did not stop within 2 minutes of Ctrl+C"); }

        Assert.Equal(130, cli.ExitCode);
        Assert.InRange(StepsDone(steps) - atInterrupt, 0, 1);
        Assert.Contains("interrupted", await stderr);
        var executed = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "out", "long.ipynb")))!;
        Assert.Equal("Interrupted", (string?)executed["cells"]![0]!["outputs"]![0]!["ename"]);
        Assert.Contains("Interrupted", File.ReadAllText(Path.Combine(dir, "out", "long.html")));
        Directory.Delete(dir, recursive: true);
    }

    static int StepsDone(string file) => File.Exists(file) ? (int)new FileInfo(file).Length : 0;
}
