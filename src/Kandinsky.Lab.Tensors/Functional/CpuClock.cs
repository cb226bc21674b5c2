using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors;

/// <summary>
/// CPU time consumed so far, for the op profile and the benchmarks: on a shared machine CPU seconds stay steady
/// where wall seconds do not, and CPU ÷ wall shows how many cores an op kept busy. Nanosecond clocks on Linux
/// (clock_gettime); elsewhere the process clock of <see cref="Process"/> (10 ms ticks) and no thread clock.
/// </summary>
public static partial class CpuClock
{
    const int ProcessCpuTime = 2, ThreadCpuTime = 3;

    /// <summary>CPU seconds of all threads of this process.</summary>
    public static double ProcessSeconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ProcessCpuTime, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9
            : Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>CPU seconds of the calling thread (Linux only).</summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public static double ThreadSeconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTime, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9
            : throw new PlatformNotSupportedException("CpuClock.ThreadSeconds: the thread CPU clock (clock_gettime(CLOCK_THREAD_CPUTIME_ID)) is read on Linux only.");

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
