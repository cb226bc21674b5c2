using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>
/// Vectorised functional ops against scalar oracles in the same run (read the Ratio column per category):
/// GroupNorm at the UNet's widest 64×64 block, softmax over attention-sized rows, SiLU over a feature map.
/// Both sides run on one thread so the ratio measures the kernels, not the scheduler.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class OpsBenchmarks
{
    Tensor _features = null!;     // [2, 384, 64, 64]
    Tensor _weight = null!;       // [384]
    Tensor _bias = null!;         // [384]
    Tensor _scores = null!;       // [4096, 1024]
    Tensor _output = null!;       // scratch for the scalar oracles, as large as the largest input
    int _savedThreads;

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = Parallelism.Threads;
        Parallelism.Threads = 1;
        _features = Random(1, 2, 384, 64, 64);
        _weight = Random(2, 384);
        _bias = Random(3, 384);
        _scores = Random(4, 4096, 1024);
        _output = Tensor.Empty(4096 * 1024);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Parallelism.Threads = _savedThreads;
        foreach (var t in new[] { _features, _weight, _bias, _scores, _output }) t.Dispose();
    }

    static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var data = new float[ShapeUtil.Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 4 - 2);
        return Tensor.FromArray(data, shape);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("GroupNorm")]
    public void GroupNormScalar() => ScalarGroupNorm(_features.Data, _output.Data, 2, 384, 64 * 64, 32, _weight.Data, _bias.Data, 1e-6);

    [Benchmark, BenchmarkCategory("GroupNorm")]
    public void GroupNormVectorised() => F.GroupNorm(_features, 32, _weight, _bias, 1e-6f).Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("Softmax")]
    public void SoftmaxScalar() => ScalarSoftmax(_scores.Data, _output.Data, 4096, 1024);

    [Benchmark, BenchmarkCategory("Softmax")]
    public void SoftmaxVectorised() => F.Softmax(_scores, -1).Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("Silu")]
    public void SiluScalar()
    {
        int n = (int)_features.Count;
        Activations.RunScalar<SiluOperator>(new ReadOnlySpan<float>(_features.Data, n), new Span<float>(_output.Data, n));
    }

    [Benchmark, BenchmarkCategory("Silu")]
    public void SiluVectorised() => F.Silu(_features).Dispose();

    /// <summary>The textbook group norm: double statistics, one element at a time.</summary>
    static void ScalarGroupNorm(float* x, float* y, int n, int c, int spatial, int groups, float* w, float* b, double eps)
    {
        int per = c / groups;
        long size = (long)per * spatial;
        for (int g = 0; g < n * groups; g++)
        {
            float* xs = x + g * size, ys = y + g * size;
            double mean = 0, variance = 0;
            for (long i = 0; i < size; i++) mean += xs[i];
            mean /= size;
            for (long i = 0; i < size; i++) variance += (xs[i] - mean) * (xs[i] - mean);
            double rstd = 1 / Math.Sqrt(variance / size + eps);
            for (long i = 0; i < size; i++)
            {
                int ch = g % groups * per + (int)(i / spatial);
                ys[i] = (float)((xs[i] - mean) * rstd * w[ch] + b[ch]);
            }
        }
    }

    /// <summary>The textbook softmax: max, exp in double, normalise.</summary>
    static void ScalarSoftmax(float* x, float* y, int rows, int n)
    {
        for (int r = 0; r < rows; r++)
        {
            float* xs = x + (long)r * n, ys = y + (long)r * n;
            float m = float.NegativeInfinity;
            for (int i = 0; i < n; i++) m = Math.Max(m, xs[i]);
            double s = 0;
            for (int i = 0; i < n; i++) s += ys[i] = (float)Math.Exp(xs[i] - m);
            for (int i = 0; i < n; i++) ys[i] = (float)(ys[i] / s);
        }
    }
}
