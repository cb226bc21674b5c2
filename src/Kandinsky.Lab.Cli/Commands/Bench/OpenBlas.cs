using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// OpenBLAS's cblas_sgemm, loaded at run time as the speed baseline for benchmarks only (the engine never
/// calls it). Debian: apt-get install libopenblas0-pthread.
/// </summary>
public sealed unsafe class OpenBlas
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112;

    readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    readonly delegate* unmanaged<int, void> _setThreads;
    readonly delegate* unmanaged<sbyte*> _coreName;

    OpenBlas(nint library)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)NativeLibrary.GetExport(library, "cblas_sgemm");
        _setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
        _coreName = NativeLibrary.TryGetExport(library, "openblas_get_corename", out var coreName) ? (delegate* unmanaged<sbyte*>)coreName : null;
    }

    /// <summary>
    /// The CPU model whose kernels OpenBLAS chose ("Haswell", "SkylakeX", …). It picks them by CPU model, so on a CPU
    /// newer than the library it may take older ones (Zen 5 gets Haswell's AVX2 kernels); OPENBLAS_CORETYPE=SkylakeX
    /// or Cooperlake selects its AVX-512 kernels.
    /// </summary>
    public string CoreName => _coreName == null ? "unknown core" : new string(_coreName());

    /// <summary>The loaded library, or null (with the reason) when no OpenBLAS is installed.</summary>
    /// <remarks>
    /// OpenBLAS's idle worker threads spin for about 2^28 cycles after each call before they sleep; in a
    /// benchmark that alternates its calls with ours they would occupy a core through our run. A short timeout
    /// (set before the library starts its threads, unless the user set one) keeps the comparison fair.
    /// </remarks>
    public static OpenBlas? TryLoad(out string? error)
    {
        SetEnv("OPENBLAS_THREAD_TIMEOUT", "4", overwrite: 0);
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "openblas", "libopenblas" })
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                error = null;
                return new OpenBlas(handle);
            }
        error = "OpenBLAS not found (tried libopenblas.so.0; on Debian: apt-get install libopenblas0-pthread).";
        return null;
    }

    public int Threads { set => _setThreads(value); }

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    /// <summary>Row-major C = alpha·op(A)·op(B) + beta·C, same contract as Gemm.Sgemm.</summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        _sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
