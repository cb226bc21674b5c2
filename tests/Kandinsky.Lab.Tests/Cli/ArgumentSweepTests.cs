using System.Diagnostics;
using Kandinsky.Lab.Cli;

namespace Kandinsky.Lab.Tests.Cli;

/// <summary>
/// Every verb × hostile values (zero, negative, huge, not a number, unknown names, missing files and folders): exit 2,
/// one "error: …" line naming the argument, no stack trace, nothing written, and no work done (the run is quick).
/// In the arguments, {in} is a folder holding a text file "text.txt", {out} an empty folder, {absent} a path that does not exist.
/// </summary>
public sealed class ArgumentSweepTests : IDisposable
{
    readonly string _in = Directory.CreateTempSubdirectory("sweep-in-").FullName;
    readonly string _out = Directory.CreateTempSubdirectory("sweep-out-").FullName;

    public ArgumentSweepTests() => File.WriteAllText(Path.Combine(_in, "text.txt"), "root:x:0:0:root:/root:/bin/bash\n");

    public void Dispose()
    {
        Directory.Delete(_in, recursive: true);
        Directory.Delete(_out, recursive: true);
    }

    /// <summary>The offenders of issue 18 item 13: each failed another way before (stack trace, exit 0 or 1, two lines, or a run out of memory).</summary>
    public static TheoryData<string, string[]> Offenders => new()
    {
        { "--dtype", ["make-checkpoint", "--preset", "tiny", "--dtype", "f64", "--out", "{out}/ckpt"] },
        { "--preset", ["make-checkpoint", "--preset", "nope", "--out", "{out}/ckpt"] },
        { "--model", ["bench", "unet", "--model", "{absent}"] },
        { "--model", ["bench", "prior", "--model", "{absent}"] },
        { "--model", ["bench", "movq", "--model", "{absent}"] },
        { "--width", ["generate", "a cat", "--width", "-5", "--out", "{out}/gen"] },
        { "--width", ["generate", "a cat", "--width", "100000", "--height", "100000", "--out", "{out}/gen"] },
        { "--images", ["generate", "a cat", "--images", "100000", "--out", "{out}/gen"] },
        { "--c", ["bench", "conv2d", "--c", "0", "--h", "8", "--w", "8"] },
        { "--q", ["bench", "attention", "--q", "0", "--k", "4", "--d", "4"] },
        { "not a safetensors file", ["inspect", "{in}/text.txt"] },
    };

    /// <summary>The other verbs and options of Program.BuildRoot.</summary>
    public static TheoryData<string, string[]> Sweep => new()
    {
        { "--m", ["bench", "gemm", "--m", "0", "--k", "8", "--n", "8"] },
        { "--m", ["bench", "gemm", "--m", "x", "--k", "8", "--n", "8"] },
        { "--m", ["bench", "gemm", "--m", "1000000", "--k", "1000000", "--n", "1000000"] },
        { "--threads", ["bench", "gemm", "--m", "8", "--k", "8", "--n", "8", "--threads", "-1"] },
        { "--cpu-time", ["bench", "gemm", "--m", "8", "--k", "8", "--n", "8", "--threads", "2", "--cpu-time"] },
        { "--k", ["bench", "conv2d", "--c", "4", "--h", "8", "--w", "8", "--k", "0"] },
        { "--k", ["bench", "conv2d", "--c", "4", "--h", "2", "--w", "2", "--k", "9", "--padding", "0"] },
        { "--stride", ["bench", "conv2d", "--c", "4", "--h", "8", "--w", "8", "--stride", "-1"] },
        { "--padding", ["bench", "conv2d", "--c", "4", "--h", "8", "--w", "8", "--padding", "-1"] },
        { "--runs", ["bench", "conv2d", "--c", "4", "--h", "8", "--w", "8", "--runs", "0"] },
        { "--c", ["bench", "conv2d", "--c", "100000", "--h", "100000", "--w", "100000"] },
        { "--d", ["bench", "attention", "--q", "4", "--k", "4", "--d", "0"] },
        { "--heads", ["bench", "attention", "--q", "4", "--k", "4", "--d", "4", "--heads", "0"] },
        { "--q", ["bench", "attention", "--q", "1000000", "--k", "1000000", "--d", "64"] },
        { "--size", ["bench", "unet", "--model", "{micro}", "--size", "-5"] },
        { "--size", ["bench", "unet", "--model", "{micro}", "--size", "100000"] },
        { "--tokens", ["bench", "unet", "--model", "{micro}", "--tokens", "0"] },
        { "--threads", ["bench", "unet", "--model", "{micro}", "--threads", "2", "0"] },
        { "--size", ["bench", "movq", "--model", "{micro}", "--size", "7"] },
        { "--runs", ["bench", "prior", "--model", "{micro}", "--runs", "-1"] },
        { "--prior-steps", ["bench", "generate", "--prior-steps", "1"] },
        { "--images", ["bench", "generate", "--images", "0"] },
        { "--model", ["bench", "generate", "--model", "{absent}"] },
        { "--size", ["bench", "pipeline", "--size", "-5", "--out", "{out}/bench"] },
        { "--runs", ["bench", "pipeline", "--runs", "0", "--out", "{out}/bench"] },
        { "--scheduler", ["bench", "pipeline", "--scheduler", "Foo", "--out", "{out}/bench"] },
        { "--model", ["bench", "pipeline", "--model", "{absent}", "--out", "{out}/bench"] },
        { "bench", ["bench"] },
        { "--case", ["run-module", "--case", "{absent}", "--out", "{out}/o.safetensors"] },
        { "trace", ["run-trace", "{absent}", "--out", "{out}/o.safetensors"] },
        { "--steps", ["generate", "a cat", "--steps", "0", "--out", "{out}/gen"] },
        { "--prior-steps", ["generate", "a cat", "--prior-steps", "1", "--out", "{out}/gen"] },
        { "--guidance", ["generate", "a cat", "--guidance", "NaN", "--out", "{out}/gen"] },
        { "--seed", ["generate", "a cat", "--seed", "-1", "--out", "{out}/gen"] },
        { "--images", ["generate", "a cat", "--images", "many", "--out", "{out}/gen"] },
        { "--model", ["generate", "a cat", "--model", "{absent}", "--out", "{out}/gen"] },
        { "--replay", ["generate", "--replay", "{absent}", "--out", "{out}/gen"] },
        { "--replay", ["generate", "--replay", "{in}/text.txt", "--out", "{out}/gen"] },
        { "prompt", ["generate", "--out", "{out}/gen"] },
        { "--widht", ["generate", "a cat", "--widht", "64", "--out", "{out}/gen"] },
        { "--model", ["tour", "--model", "{absent}", "--out", "{out}/tour"] },
        { "--bleed-images", ["tour", "--bleed-images", "0", "--out", "{out}/tour"] },
        { "spec", ["bleed", "{absent}", "--out", "{out}/bleed"] },
        { "--shard", ["bleed", "{in}/text.txt", "--shard", "5/2", "--out", "{out}/bleed"] },
        { "shards", ["bleed", "merge", "{absent}", "--out", "{out}/merged"] },
        { "notebooks", ["notebook", "run", "{absent}", "--out", "{out}/nb"] },
        { "--plotly", ["notebook", "run", "{in}/text.txt", "--plotly", "{absent}", "--out", "{out}/nb"] },
        { "{absent}", ["inspect", "{absent}"] },
        { "--shape", ["randn", "--seed", "1", "--shape", "1,-2", "--out", "{out}/r.safetensors"] },
        { "--shape", ["randn", "--seed", "1", "--shape", "100000,100000", "--out", "{out}/r.safetensors"] },
        { "--seed", ["randn", "--seed", "x", "--shape", "2", "--out", "{out}/r.safetensors"] },
        { "--out", ["randn", "--seed", "1", "--shape", "2", "--out", "{absent}/r.safetensors"] },
        { "--out", ["png-to-tensor", "{in}/text.txt", "--out", "{absent}/p.safetensors"] },
        { "--tokenizer", ["tokenize", "--tokenizer", "{absent}", "--text", "a cat"] },
        { "--tokenizer", ["tokenize", "--tokenizer", "{in}", "--text", "a cat"] },
        { "--kind", ["tokenize", "--tokenizer", "{micro}/prior/tokenizer", "--kind", "nope", "--text", "a cat"] },
        { "--jsonl", ["tokenize", "--tokenizer", "{micro}/prior/tokenizer", "--text", "a cat", "--jsonl", "{in}/text.txt"] },
        { "--jsonl", ["tokenize", "--tokenizer", "{micro}/prior/tokenizer", "--jsonl", "{absent}"] },
        { "--seed", ["make-checkpoint", "--preset", "tiny", "--seed", "-1", "--out", "{out}/ckpt"] },
        { "--out", ["make-checkpoint", "--preset", "tiny"] },
        { "nosuchverb", ["nosuchverb"] },
        { "needs a command", [] },
    };

    [Theory, MemberData(nameof(Offenders))]
    public void OffenderIsRejectedBeforeAnyWork(string named, string[] args) => AssertRejected(named, args);

    [Theory, MemberData(nameof(Sweep))]
    public void BadArgumentIsRejectedBeforeAnyWork(string named, string[] args) => AssertRejected(named, args);

    void AssertRejected(string named, string[] args)
    {
        string absent = Path.Combine(_in, "absent");
        string Expand(string s) => s.Replace("{in}", _in).Replace("{out}", _out).Replace("{absent}", absent).Replace("{micro}", Fixtures.MicroModel);
        var output = new StringWriter();
        var error = new StringWriter();
        var clock = Stopwatch.StartNew();
        int exit = Program.BuildRoot().Parse(args.Select(Expand).ToArray()).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        clock.Stop();

        var lines = error.ToString().TrimEnd().Split('\n');
        Assert.True(exit == 2, $"exit {exit}; stderr: {error}");
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(Expand(named), lines[0]);
        Assert.DoesNotContain("   at ", error.ToString());
        Assert.Equal("", output.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_out));
        Assert.False(Path.Exists(absent));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:F1} s: work ran before the check");
    }
}
