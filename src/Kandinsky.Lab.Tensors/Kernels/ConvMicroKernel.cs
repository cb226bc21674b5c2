using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: C[MR×NR] (+)= Σ_k A[k]·B[k] where, for step k, A holds MR values
/// (one per row of C, read at <c>a + k·lda</c>) and B holds NR values (one per column, at <c>b + k·ldb</c>).
/// Packed A panels use lda = MR; a transposed tile whose rows are k uses lda = its row length. Each output
/// element is one FMA chain over k in order, so a result never depends on how callers tile or thread.
/// Shared by convolution and fused attention (Kernels/ConvKernel.cs, Kernels/AttentionKernel.cs).
/// </summary>
internal sealed unsafe class MicroKernel
{
    readonly delegate*<int, float*, nint, float*, nint, float*, nint, bool, void> _full;

    MicroKernel(string name, int mr, int nr, delegate*<int, float*, nint, float*, nint, float*, nint, bool, void> full)
    {
        Name = name;
        MR = mr;
        NR = nr;
        _full = full;
    }

    public string Name { get; }
    /// <summary>Rows of C per call (A values per k step).</summary>
    public int MR { get; }
    /// <summary>Columns of C per call (B values per k step).</summary>
    public int NR { get; }

    public static readonly MicroKernel Avx512 = new("avx512 12x32", 12, 32, &Avx512Kernel);
    public static readonly MicroKernel Avx2 = new("avx2 6x16", 6, 16, &Avx2Kernel);
    public static readonly MicroKernel Portable = new("portable 4x8", 4, 8, &PortableKernel);

    /// <summary>Kernels this CPU can run, fastest first.</summary>
    public static IReadOnlyList<MicroKernel> Supported { get; } = [.. new[] { Avx512, Avx2, Portable }.Where(k => k.IsSupported)];

    /// <summary>The kernel ops use: the fastest supported one.</summary>
    public static MicroKernel Best => Supported[0];

    public bool IsSupported => this == Portable || (this == Avx2 ? Avx2Supported : Avx512F.IsSupported);

    static bool Avx2Supported => System.Runtime.Intrinsics.X86.Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// C[mr×nr] (+)= A·B over <paramref name="kc"/> steps. A must hold MR readable values per step and B NR
    /// (zero padding beyond mr / nr); only the mr×nr corner of C is read and written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int mr, int nr, bool accumulate)
    {
        if (mr == MR && nr == NR)
        {
            _full(kc, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
        // Edge tile: the same FMA chains on a scratch tile, then copy the valid corner.
        float* tile = stackalloc float[MR * NR];
        if (accumulate)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++) tile[r * NR + j] = c[r * ldc + j];
        _full(kc, a, lda, b, ldb, tile, NR, accumulate);
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] = tile[r * NR + j];
    }

    public override string ToString() => Name;

    static void Avx512Kernel(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate) =>
        Avx512Body(kc, a, lda, new StridedB(b, ldb, 16), c, ldc, accumulate);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Avx512Body<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate) where TB : struct, IBRuns
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111;
        if (accumulate)
        {
            c00 = Vector512.Load(c + 0 * ldc); c01 = Vector512.Load(c + 0 * ldc + 16);
            c10 = Vector512.Load(c + 1 * ldc); c11 = Vector512.Load(c + 1 * ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
            c80 = Vector512.Load(c + 8 * ldc); c81 = Vector512.Load(c + 8 * ldc + 16);
            c90 = Vector512.Load(c + 9 * ldc); c91 = Vector512.Load(c + 9 * ldc + 16);
            c100 = Vector512.Load(c + 10 * ldc); c101 = Vector512.Load(c + 10 * ldc + 16);
            c110 = Vector512.Load(c + 11 * ldc); c111 = Vector512.Load(c + 11 * ldc + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = c80 = c81 = c90 = c91 = c100 = c101 = c110 = c111 = Vector512<float>.Zero;
        }
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(b.First(k));
            var b1 = Vector512.Load(b.Second(k));
            Vector512<float> ak;
            ak = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(ak, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ak, b1, c01);
            ak = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ak, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ak, b1, c11);
            ak = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ak, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ak, b1, c21);
            ak = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ak, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ak, b1, c31);
            ak = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ak, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ak, b1, c41);
            ak = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ak, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ak, b1, c51);
            ak = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ak, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ak, b1, c61);
            ak = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ak, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ak, b1, c71);
            ak = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ak, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ak, b1, c81);
            ak = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ak, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ak, b1, c91);
            ak = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(ak, b0, c100); c101 = Avx512F.FusedMultiplyAdd(ak, b1, c101);
            ak = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(ak, b0, c110); c111 = Avx512F.FusedMultiplyAdd(ak, b1, c111);
            a += lda;
        }
        c00.Store(c + 0 * ldc); c01.Store(c + 0 * ldc + 16);
        c10.Store(c + 1 * ldc); c11.Store(c + 1 * ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
        c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
        c80.Store(c + 8 * ldc); c81.Store(c + 8 * ldc + 16);
        c90.Store(c + 9 * ldc); c91.Store(c + 9 * ldc + 16);
        c100.Store(c + 10 * ldc); c101.Store(c + 10 * ldc + 16);
        c110.Store(c + 11 * ldc); c111.Store(c + 11 * ldc + 16);
    }

    static void Avx2Kernel(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate) =>
        Avx2Body(kc, a, lda, new StridedB(b, ldb, 8), c, ldc, accumulate);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Avx2Body<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate) where TB : struct, IBRuns
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Vector256.Load(c + 0 * ldc); c01 = Vector256.Load(c + 0 * ldc + 8);
            c10 = Vector256.Load(c + 1 * ldc); c11 = Vector256.Load(c + 1 * ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b.First(k));
            var b1 = Vector256.Load(b.Second(k));
            Vector256<float> ak;
            ak = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ak, b0, c00); c01 = Fma.MultiplyAdd(ak, b1, c01);
            ak = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ak, b0, c10); c11 = Fma.MultiplyAdd(ak, b1, c11);
            ak = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ak, b0, c20); c21 = Fma.MultiplyAdd(ak, b1, c21);
            ak = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ak, b0, c30); c31 = Fma.MultiplyAdd(ak, b1, c31);
            ak = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ak, b0, c40); c41 = Fma.MultiplyAdd(ak, b1, c41);
            ak = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ak, b0, c50); c51 = Fma.MultiplyAdd(ak, b1, c51);
            a += lda;
        }
        c00.Store(c + 0 * ldc); c01.Store(c + 0 * ldc + 8);
        c10.Store(c + 1 * ldc); c11.Store(c + 1 * ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    static void PortableKernel(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate) =>
        PortableBody(kc, a, lda, new StridedB(b, ldb, 4), c, ldc, accumulate);

    /// <summary>Scalar reference of the same contract (MR = 4, NR = 8), for CPUs without AVX2/FMA.</summary>
    internal static void PortableBody<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate) where TB : struct, IBRuns
    {
        const int mr = 4, nr = 8, half = nr / 2;
        float* acc = stackalloc float[mr * nr];
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) acc[r * nr + j] = accumulate ? c[r * ldc + j] : 0f;
        for (int k = 0; k < kc; k++, a += lda)
        {
            float* first = b.First(k), second = b.Second(k);
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++)
                    acc[r * nr + j] = MathF.FusedMultiplyAdd(a[r], j < half ? first[j] : second[j - half], acc[r * nr + j]);
        }
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] = acc[r * nr + j];
    }
}

/// <summary>
/// Where a <see cref="MicroKernel"/> body finds step k's NR B values: two runs of NR/2 contiguous floats. A struct
/// type argument, so each addressing gets its own compiled body with the calls inlined.
/// </summary>
internal unsafe interface IBRuns
{
    float* First(int k);
    float* Second(int k);
}

/// <summary>Packed or strided B: step k's NR values are contiguous at b + k·ldb.</summary>
internal readonly unsafe struct StridedB(float* b, nint ldb, int half) : IBRuns
{
    public float* First(int k) => b + k * ldb;
    public float* Second(int k) => b + k * ldb + half;
}

/// <summary>B read in place (direct convolution): step k's runs start at b0 + offsets[k] and b1 + offsets[k].</summary>
internal readonly unsafe struct GatheredB(float* b0, float* b1, int* offsets) : IBRuns
{
    public float* First(int k) => b0 + offsets[k];
    public float* Second(int k) => b1 + offsets[k];
}
