using System.Diagnostics;

namespace Kandinsky.Lab.Tensors;

/// <summary>What kind of work an F.* op does, for <see cref="OpProfile"/>.</summary>
public enum OpKind
{
    /// <summary>F.Linear, F.MatMul, F.Bmm.</summary>
    Gemm,
    /// <summary>F.Conv2d.</summary>
    Conv,
    /// <summary>F.ScaledDotProductAttention.</summary>
    Attention,
    /// <summary>F.LayerNorm, F.GroupNorm.</summary>
    Norm,
    /// <summary>Unary, binary and scalar maps, activations, reductions, softmax, where.</summary>
    Elementwise,
    /// <summary>Ops that move data: cat, stack, pad, interpolate, pooling, embedding lookups.</summary>
    Shape,
}

/// <summary>
/// Wall and process CPU time spent inside F.* ops by <see cref="OpKind"/>, for `bench … --profile`: where a
/// network's time goes, and (CPU ÷ wall) how many cores each kind kept busy, so a kind that serialises shows even on
/// a loaded machine. Off by default, and then an op pays one static bool read. Only the outermost op on a thread is
/// timed (an op that calls other ops counts once, as its own kind); the kernels' worker threads run inside that time.
/// </summary>
public static class OpProfile
{
    static readonly int KindCount = Enum.GetValues<OpKind>().Length;
    static readonly long[] TicksByKind = new long[KindCount];
    static readonly long[] CpuNanosByKind = new long[KindCount];
    static readonly long[] CallsByKind = new long[KindCount];
    static bool _enabled;
    [ThreadStatic] static int _depth;

    /// <summary>Whether ops record their time (default off).</summary>
    public static bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>Clears the recorded times.</summary>
    public static void Reset()
    {
        Array.Clear(TicksByKind);
        Array.Clear(CpuNanosByKind);
        Array.Clear(CallsByKind);
    }

    /// <summary>Wall seconds, process CPU seconds and calls recorded so far, per kind (every kind present, in enum order).</summary>
    public static IReadOnlyList<(OpKind Kind, double Seconds, double CpuSeconds, long Calls)> Totals() =>
        Enum.GetValues<OpKind>().Select(k => (k, Interlocked.Read(ref TicksByKind[(int)k]) / (double)Stopwatch.Frequency,
            Interlocked.Read(ref CpuNanosByKind[(int)k]) * 1e-9, Interlocked.Read(ref CallsByKind[(int)k]))).ToList();

    /// <summary>Starts timing an op of <paramref name="kind"/>; dispose the scope when the op returns.</summary>
    internal static Scope Enter(OpKind kind)
    {
        if (!_enabled) return default;
        return ++_depth == 1 ? new Scope(kind, Stopwatch.GetTimestamp(), CpuClock.ProcessSeconds()) : new Scope(kind, Scope.Nested, 0);
    }

    /// <summary>One op's timing: inactive (profile off), nested inside another op (not counted), or outermost.</summary>
    internal readonly struct Scope(OpKind kind, long start, double cpuStart) : IDisposable
    {
        public const long Nested = -1;

        public void Dispose()
        {
            if (start == 0) return;
            _depth--;
            if (start == Nested) return;
            Interlocked.Add(ref TicksByKind[(int)kind], Stopwatch.GetTimestamp() - start);
            Interlocked.Add(ref CpuNanosByKind[(int)kind], (long)((CpuClock.ProcessSeconds() - cpuStart) * 1e9));
            Interlocked.Increment(ref CallsByKind[(int)kind]);
        }
    }
}
