using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Kandinsky.Lab.Tokenizers.Clip;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>
/// Single-threaded tokenization speed over the 440 golden prompts (all categories). Each benchmark encodes every
/// prompt once (OperationsPerInvoke = prompt count), so the mean is time per prompt and prompts/s = 1 / mean.
/// The UTF-8 baseline in the same run gives ratios that hold on a busy machine.
/// Run: dotnet run -c Release --project tests/Kandinsky.Lab.Benchmarks -- --filter '*TokenizerBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    const int PromptCount = 440;

    string[] prompts = [];
    ClipTokenizer clip = null!;
    XlmRobertaTokenizer xlmr = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = FindRepoRoot();
        var tokenizers = Path.Combine(root, "tests", "fixtures", "tokenizers");
        prompts = File.ReadLines(Path.Combine(tokenizers, "golden", "clip.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).ToArray();
        if (prompts.Length != PromptCount) throw new InvalidOperationException($"expected {PromptCount} golden prompts, found {prompts.Length}");
        clip = ClipTokenizer.FromFolder(Path.Combine(tokenizers, "clip"));
        xlmr = XlmRobertaTokenizer.FromFolder(Path.Combine(tokenizers, "xlm-roberta-standin"));
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kandinsky.Lab.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"Kandinsky.Lab.sln not found above {AppContext.BaseDirectory}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PromptCount)]
    public int Utf8Baseline()
    {
        var total = 0;
        foreach (var p in prompts) total += Encoding.UTF8.GetByteCount(p);
        return total;
    }

    [Benchmark(OperationsPerInvoke = PromptCount)]
    public int Clip()
    {
        var total = 0;
        foreach (var p in prompts) total += clip.Encode(p).Ids.Count;
        return total;
    }

    [Benchmark(OperationsPerInvoke = PromptCount)]
    public int XlmRoberta()
    {
        var total = 0;
        foreach (var p in prompts) total += xlmr.Encode(p).Ids.Count;
        return total;
    }
}
