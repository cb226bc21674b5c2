using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The register-blocked micro-kernel every matrix product here runs on (GEMM, convolution, Winograd, attention):
/// C[MR×NR] (+)= Σ_k A[k]·B[k] where, for step k, A holds MR values (one per row of C, read at <c>a + k·lda</c>)
/// and B holds NR values (one per column, found by a <see cref="IBRuns"/>). Packed A panels use lda = MR; a
/// transposed tile whose rows are k uses lda = its row length. Each output element is one FMA chain over k in
/// order, started from zero or, when accumulating, continued from C's value, so a reduction split into blocks
/// gives the bits of one unsplit chain: a result never depends on how callers block, tile or thread, nor on which
/// body (AVX-512, AVX2, portable) computes it.
/// </summary>
/// <remarks>
/// One body per instruction set, generic over the B addressing (a struct type argument, so the JIT compiles one
/// specialised copy per addressing with its calls inlined): <see cref="StridedB"/> for packed or strided panels,
/// <see cref="GatheredB"/> for a direct convolution reading the image in place. The GEMM driver calls the bodies
/// on its own 12×32 panel layout (<see cref="Gemm"/>); convolution and attention pick an instance by its MR × NR.
/// </remarks>
internal sealed unsafe class MicroKernel
{
    MicroKernel(string name, int mr, int nr)
    {
        Name = name;
        MR = mr;
        NR = nr;
    }

    public string Name { get; }
    /// <summary>Rows of C per call (A values per k step).</summary>
    public int MR { get; }
    /// <summary>Columns of C per call (B values per k step).</summary>
    public int NR { get; }

    public static readonly MicroKernel Avx512 = new("avx512 12x32", 12, 32);
    public static readonly MicroKernel Avx2 = new("avx2 6x16", 6, 16);
    public static readonly MicroKernel Portable = new("portable 4x8", 4, 8);

    /// <summary>Kernels this CPU can run, fastest first.</summary>
    public static IReadOnlyList<MicroKernel> Supported { get; } = [.. new[] { Avx512, Avx2, Portable }.Where(k => k.IsSupported)];

    /// <summary>The kernel ops use: the fastest supported one.</summary>
    public static MicroKernel Best => Supported[0];

    public bool IsSupported => this == Portable || (this == Avx2 ? Avx2Supported : Avx512F.IsSupported);

    internal static bool Avx2Supported => System.Runtime.Intrinsics.X86.Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// C[mr×nr] (+)= A·B over <paramref name="kc"/> steps, step k's B values contiguous at b + k·ldb. A must hold
    /// MR readable values per step and B NR (zero padding beyond mr / nr); only the mr×nr corner of C is read and written.
    /// </summary>
    public void Run(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, int mr, int nr, bool accumulate)
    {
        var strided = new StridedB(b, ldb, NR / 2);
        if (mr == MR && nr == NR)
        {
            Full(kc, a, lda, strided, c, ldc, accumulate);
            return;
        }
        // Edge tile: the same FMA chains on a scratch tile, then copy the valid corner.
        float* tile = stackalloc float[MR * NR];
        if (accumulate)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++) tile[r * NR + j] = c[r * ldc + j];
        Full(kc, a, lda, strided, tile, NR, accumulate);
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++) c[r * ldc + j] = tile[r * NR + j];
    }

    /// <summary>
    /// A full tile with B read in place: step k's NR values are two runs of NR/2 floats at <c>b0 + offsets[k]</c>
    /// and <c>b1 + offsets[k]</c> (a direct convolution points b0 and b1 at two runs of output positions in the
    /// padded image, offsets[k] at the element reduction step (channel, ky, kx) reads; no im2col copy is made).
    /// A is packed with lda = MR. Gives the bits <see cref="Run"/> gives on the packed im2col.
    /// </summary>
    public void RunGathered(int steps, float* a, int* offsets, float* b0, float* b1, float* c, nint ldc, bool accumulate) =>
        Full(steps, a, MR, new GatheredB(b0, b1, offsets), c, ldc, accumulate);

    void Full<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate) where TB : struct, IBRuns
    {
        if (this == Avx512) Avx512Body<TB, AllRows>(kc, a, lda, b, c, ldc, accumulate);
        else if (this == Avx2) Avx2Body(kc, a, lda, b, c, ldc, accumulate);
        else PortableBody(kc, a, lda, b, c, ldc, MR, NR, accumulate);
    }

    public override string ToString() => Name;

    /// <summary>
    /// 12×32 tile in 24 zmm accumulators: per k, two B loads and twelve broadcasts feed 24 FMAs. With
    /// <typeparamref name="TRows"/> = <see cref="TopHalfRows"/> only rows 0–5 (the GEMM's M tail, 12 accumulators): the same
    /// chains at half the work. The row count is a type argument, so the JIT compiles each variant without the other's branches.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Avx512Body<TB, TRows>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate)
        where TB : struct, IBRuns where TRows : struct, ITileRows
    {
        bool lower = TRows.Count == 12;
        Vector512<float> c00 = Start512(c + 0 * ldc, accumulate), c01 = Start512(c + 0 * ldc + 16, accumulate);
        Vector512<float> c10 = Start512(c + 1 * ldc, accumulate), c11 = Start512(c + 1 * ldc + 16, accumulate);
        Vector512<float> c20 = Start512(c + 2 * ldc, accumulate), c21 = Start512(c + 2 * ldc + 16, accumulate);
        Vector512<float> c30 = Start512(c + 3 * ldc, accumulate), c31 = Start512(c + 3 * ldc + 16, accumulate);
        Vector512<float> c40 = Start512(c + 4 * ldc, accumulate), c41 = Start512(c + 4 * ldc + 16, accumulate);
        Vector512<float> c50 = Start512(c + 5 * ldc, accumulate), c51 = Start512(c + 5 * ldc + 16, accumulate);
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        if (lower)
        {
            c60 = Start512(c + 6 * ldc, accumulate); c61 = Start512(c + 6 * ldc + 16, accumulate);
            c70 = Start512(c + 7 * ldc, accumulate); c71 = Start512(c + 7 * ldc + 16, accumulate);
            c80 = Start512(c + 8 * ldc, accumulate); c81 = Start512(c + 8 * ldc + 16, accumulate);
            c90 = Start512(c + 9 * ldc, accumulate); c91 = Start512(c + 9 * ldc + 16, accumulate);
            c100 = Start512(c + 10 * ldc, accumulate); c101 = Start512(c + 10 * ldc + 16, accumulate);
            c110 = Start512(c + 11 * ldc, accumulate); c111 = Start512(c + 11 * ldc + 16, accumulate);
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
            if (lower)
            {
                ak = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ak, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ak, b1, c61);
                ak = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ak, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ak, b1, c71);
                ak = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ak, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ak, b1, c81);
                ak = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ak, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ak, b1, c91);
                ak = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(ak, b0, c100); c101 = Avx512F.FusedMultiplyAdd(ak, b1, c101);
                ak = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(ak, b0, c110); c111 = Avx512F.FusedMultiplyAdd(ak, b1, c111);
            }
            a += lda;
        }
        Store(c + 0 * ldc, c00, c01);
        Store(c + 1 * ldc, c10, c11);
        Store(c + 2 * ldc, c20, c21);
        Store(c + 3 * ldc, c30, c31);
        Store(c + 4 * ldc, c40, c41);
        Store(c + 5 * ldc, c50, c51);
        if (!lower) return;
        Store(c + 6 * ldc, c60, c61);
        Store(c + 7 * ldc, c70, c71);
        Store(c + 8 * ldc, c80, c81);
        Store(c + 9 * ldc, c90, c91);
        Store(c + 10 * ldc, c100, c101);
        Store(c + 11 * ldc, c110, c111);
    }

    /// <summary>
    /// 6×16 tile in 12 ymm accumulators (they fit the 16 registers of an AVX2-only CPU): two B loads and six
    /// broadcasts feed 12 FMAs, unrolled by two k steps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Avx2Body<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, bool accumulate) where TB : struct, IBRuns
    {
        Vector256<float> c00 = Start256(c + 0 * ldc, accumulate), c01 = Start256(c + 0 * ldc + 8, accumulate);
        Vector256<float> c10 = Start256(c + 1 * ldc, accumulate), c11 = Start256(c + 1 * ldc + 8, accumulate);
        Vector256<float> c20 = Start256(c + 2 * ldc, accumulate), c21 = Start256(c + 2 * ldc + 8, accumulate);
        Vector256<float> c30 = Start256(c + 3 * ldc, accumulate), c31 = Start256(c + 3 * ldc + 8, accumulate);
        Vector256<float> c40 = Start256(c + 4 * ldc, accumulate), c41 = Start256(c + 4 * ldc + 8, accumulate);
        Vector256<float> c50 = Start256(c + 5 * ldc, accumulate), c51 = Start256(c + 5 * ldc + 8, accumulate);
        Vector256<float> ak, b0, b1;
        int k = 0;
        for (; k + 1 < kc; k += 2)
        {
            b0 = Vector256.Load(b.First(k));
            b1 = Vector256.Load(b.Second(k));
            ak = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ak, b0, c00); c01 = Fma.MultiplyAdd(ak, b1, c01);
            ak = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ak, b0, c10); c11 = Fma.MultiplyAdd(ak, b1, c11);
            ak = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ak, b0, c20); c21 = Fma.MultiplyAdd(ak, b1, c21);
            ak = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ak, b0, c30); c31 = Fma.MultiplyAdd(ak, b1, c31);
            ak = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ak, b0, c40); c41 = Fma.MultiplyAdd(ak, b1, c41);
            ak = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ak, b0, c50); c51 = Fma.MultiplyAdd(ak, b1, c51);
            b0 = Vector256.Load(b.First(k + 1));
            b1 = Vector256.Load(b.Second(k + 1));
            ak = Vector256.Create(a[lda + 0]); c00 = Fma.MultiplyAdd(ak, b0, c00); c01 = Fma.MultiplyAdd(ak, b1, c01);
            ak = Vector256.Create(a[lda + 1]); c10 = Fma.MultiplyAdd(ak, b0, c10); c11 = Fma.MultiplyAdd(ak, b1, c11);
            ak = Vector256.Create(a[lda + 2]); c20 = Fma.MultiplyAdd(ak, b0, c20); c21 = Fma.MultiplyAdd(ak, b1, c21);
            ak = Vector256.Create(a[lda + 3]); c30 = Fma.MultiplyAdd(ak, b0, c30); c31 = Fma.MultiplyAdd(ak, b1, c31);
            ak = Vector256.Create(a[lda + 4]); c40 = Fma.MultiplyAdd(ak, b0, c40); c41 = Fma.MultiplyAdd(ak, b1, c41);
            ak = Vector256.Create(a[lda + 5]); c50 = Fma.MultiplyAdd(ak, b0, c50); c51 = Fma.MultiplyAdd(ak, b1, c51);
            a += 2 * lda;
        }
        for (; k < kc; k++)
        {
            b0 = Vector256.Load(b.First(k));
            b1 = Vector256.Load(b.Second(k));
            ak = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(ak, b0, c00); c01 = Fma.MultiplyAdd(ak, b1, c01);
            ak = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ak, b0, c10); c11 = Fma.MultiplyAdd(ak, b1, c11);
            ak = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ak, b0, c20); c21 = Fma.MultiplyAdd(ak, b1, c21);
            ak = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ak, b0, c30); c31 = Fma.MultiplyAdd(ak, b1, c31);
            ak = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ak, b0, c40); c41 = Fma.MultiplyAdd(ak, b1, c41);
            ak = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ak, b0, c50); c51 = Fma.MultiplyAdd(ak, b1, c51);
            a += lda;
        }
        Store(c + 0 * ldc, c00, c01);
        Store(c + 1 * ldc, c10, c11);
        Store(c + 2 * ldc, c20, c21);
        Store(c + 3 * ldc, c30, c31);
        Store(c + 4 * ldc, c40, c41);
        Store(c + 5 * ldc, c50, c51);
    }

    /// <summary>
    /// The same chains in scalar code (MathF.FusedMultiplyAdd, so the bits match the SIMD bodies) over a rows × cols
    /// tile, cols = two runs of cols/2: for CPUs without AVX2/FMA.
    /// </summary>
    internal static void PortableBody<TB>(int kc, float* a, nint lda, TB b, float* c, nint ldc, int rows, int cols, bool accumulate) where TB : struct, IBRuns
    {
        int half = cols / 2;
        float* acc = stackalloc float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) acc[r * cols + j] = accumulate ? c[r * ldc + j] : 0f;
        for (int k = 0; k < kc; k++, a += lda)
        {
            float* first = b.First(k), second = b.Second(k);
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++)
                    acc[r * cols + j] = MathF.FusedMultiplyAdd(a[r], j < half ? first[j] : second[j - half], acc[r * cols + j]);
        }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
                c[r * ldc + j] = acc[r * cols + j];
    }

    /// <summary>An accumulator's start: C's value when accumulating, zero otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Start512(float* c, bool accumulate) => accumulate ? Vector512.Load(c) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Start256(float* c, bool accumulate) => accumulate ? Vector256.Load(c) : Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector512<float> lo, Vector512<float> hi)
    {
        lo.Store(row);
        hi.Store(row + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* row, Vector256<float> lo, Vector256<float> hi)
    {
        lo.Store(row);
        hi.Store(row + 8);
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

/// <summary>Packed or strided B: step k's NR values are contiguous at b + k·ldb (the second run <paramref name="half"/> after the first).</summary>
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

/// <summary>How many rows of the 12×32 AVX-512 tile a body computes: a struct type argument the JIT specialises on.</summary>
internal interface ITileRows
{
    static abstract int Count { get; }
}

internal readonly struct AllRows : ITileRows
{
    public static int Count => 12;
}

internal readonly struct TopHalfRows : ITileRows
{
    public static int Count => 6;
}
