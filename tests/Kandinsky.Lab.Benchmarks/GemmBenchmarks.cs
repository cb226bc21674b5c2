using BenchmarkDotNet.Attributes;
using Kandinsky.Lab.Cli.Commands.Bench;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Benchmarks;

/// <summary>
/// C[M, N] = A[M, K]·W[N, K]ᵀ as F.Linear runs it (weight packed once) against OpenBLAS cblas_sgemm on the
/// same operands and thread count (2). Shapes: the model's Linear layers and the square 2048 reference.
/// Run: dotnet run -c Release --project tests/Kandinsky.Lab.Benchmarks -- --filter '*GemmBenchmarks*'
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 9)]
public unsafe class GemmBenchmarks
{
    [Params("77x768x3072", "81x2048x8192", "257x1024x4096", "4096x384x1536", "2048x2048x2048")]
    public string Shape { get; set; } = "";

    protected const int Threads = 2;
    protected int M, K, N;
    protected Tensor A = null!, W = null!, C = null!;
    PackedB _packed = null!;
    OpenBlas _blas = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split('x').Select(int.Parse).ToArray();
        (M, K, N) = (dims[0], dims[1], dims[2]);
        var rng = new Random(42);
        A = Tensor.FromArray(Enumerable.Range(0, M * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), M, K);
        W = Tensor.FromArray(Enumerable.Range(0, N * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), N, K);
        C = Tensor.Zeros(M, N);
        _packed = PackedB.FromWeight(W);
        Parallelism.Threads = Threads;
        _blas = OpenBlas.TryLoad(out var error) ?? throw new InvalidOperationException(error);
        _blas.Threads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _packed.Dispose();
        A.Dispose();
        W.Dispose();
        C.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void OpenBlasSgemm() => _blas.Sgemm(false, true, M, N, K, 1f, A.Data, K, W.Data, K, 0f, C.Data, N);

    [Benchmark]
    public void PackedGemm() => Gemm.Run(new StridedA(A.Data, K, 1), M, _packed, C.Data, N);
}

/// <summary>Small products (attention-sized): the packed GEMM and OpenBLAS against the scalar reference oracle.</summary>
[SimpleJob(warmupCount: 2, iterationCount: 9)]
public unsafe class GemmSmallBenchmarks
{
    [Params("16x16x16", "64x64x64", "77x64x77")]
    public string Shape { get; set; } = "";

    int _m, _k, _n;
    float[] _a = [], _w = [], _c = [];
    OpenBlas _blas = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (dims[0], dims[1], dims[2]);
        var rng = new Random(7);
        _a = Enumerable.Range(0, _m * _k).Select(_ => (float)rng.NextDouble()).ToArray();
        _w = Enumerable.Range(0, _n * _k).Select(_ => (float)rng.NextDouble()).ToArray();
        _c = new float[_m * _n];
        Parallelism.Threads = 2;
        _blas = OpenBlas.TryLoad(out var error) ?? throw new InvalidOperationException(error);
        _blas.Threads = 2;
    }

    [Benchmark(Baseline = true)]
    public void Reference()
    {
        fixed (float* a = _a, w = _w, c = _c) GemmReference.Sgemm(false, true, _m, _n, _k, 1f, a, _k, w, _k, 0f, c, _n);
    }

    [Benchmark]
    public void Sgemm()
    {
        fixed (float* a = _a, w = _w, c = _c) Gemm.Sgemm(false, true, _m, _n, _k, 1f, a, _k, w, _k, 0f, c, _n);
    }

    [Benchmark]
    public void OpenBlasSgemm()
    {
        fixed (float* a = _a, w = _w, c = _c) _blas.Sgemm(false, true, _m, _n, _k, 1f, a, _k, w, _k, 0f, c, _n);
    }
}
