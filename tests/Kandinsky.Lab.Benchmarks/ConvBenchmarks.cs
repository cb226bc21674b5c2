using BenchmarkDotNet.Attributes;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>F.Conv2d 3×3, stride 1, padding 1, C_out = C at the UNet's shapes (compare with pytorch/conv_attention_bench.py).</summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    Tensor _x = null!, _weight = null!, _bias = null!;

    /// <summary>N×C×H×W.</summary>
    [Params("1x384x64x64", "2x768x32x32", "2x1152x16x16", "2x1536x8x8")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape.Split('x').Select(int.Parse).ToArray();
        _x = BenchData.Random(1, s);
        _weight = BenchData.Random(2, s[1], s[1], 3, 3);
        _bias = BenchData.Random(3, s[1]);
        F.Conv2d(_x, _weight, _bias, 1, 1).Dispose(); // packs the weight once, as a model's first call does
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _weight.Dispose();
        _bias.Dispose();
    }

    [Benchmark]
    public void Conv2d3x3() => F.Conv2d(_x, _weight, _bias, 1, 1).Dispose();
}

internal static class BenchData
{
    public static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var values = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(values, shape);
    }
}
