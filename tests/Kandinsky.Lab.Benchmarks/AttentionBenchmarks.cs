using BenchmarkDotNet.Attributes;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>Fused attention against the unfused matmul-softmax-matmul on the same micro-kernel (the Ratio column).</summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    Tensor _q = null!, _k = null!, _v = null!;

    /// <summary>B×H×Lq×Lk×D: UNet cross-attention at 64×64 latents, and the MoVQ mid-block self-attention at 512 px.</summary>
    [Params("2x6x4096x87x64", "1x1x4096x4096x512")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape.Split('x').Select(int.Parse).ToArray();
        _q = BenchData.Random(1, s[0], s[1], s[2], s[4]);
        _k = BenchData.Random(2, s[0], s[1], s[3], s[4]);
        _v = BenchData.Random(3, s[0], s[1], s[3], s[4]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose();
        _k.Dispose();
        _v.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Unfused() => AttentionBaseline.Unfused(_q, _k, _v).Dispose();

    [Benchmark]
    public void Fused() => F.ScaledDotProductAttention(_q, _k, _v).Dispose();
}
