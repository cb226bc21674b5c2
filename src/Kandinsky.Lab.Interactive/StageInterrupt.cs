using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Interactive;

/// <summary>
/// The interrupt of a running stage. The stock kernel cannot be interrupted: SIGINT stops the whole host, and its
/// message-mode handler looks for the cell's context on a flow where there is none. The lab kernelspec's launcher
/// (environment/kernelspec/lab-kernel) therefore starts the kernel with SIGINT ignored and turns Jupyter's SIGINT into
/// SIGUSR2, which this class handles by cancelling the stage that is running.
/// </summary>
public sealed class StageInterrupt
{
    /// <summary>SIGUSR2 on Linux (and the launcher's choice); .NET takes raw signal numbers cast to <see cref="PosixSignal"/>.</summary>
    internal const int InterruptSignal = 12;

    static StageInterrupt? _installed;
    static PosixSignalRegistration? _registration;

    readonly Lock _gate = new();
    CancellationTokenSource _source = new();
    object? _cell;

    public static bool Installed => _registration != null;

    /// <summary>The process's interrupt, handling the launcher's signal where the platform has it (Linux, macOS).</summary>
    internal static StageInterrupt Install()
    {
        if (_installed != null) return _installed;
        _installed = new StageInterrupt();
        if (OperatingSystem.IsLinux())
            _registration = PosixSignalRegistration.Create((PosixSignal)InterruptSignal, context =>
            {
                context.Cancel = true;
                _installed.Interrupt();
            });
        return _installed;
    }

    /// <summary>
    /// The token of a stage starting in the cell run <paramref name="cell"/> (its invocation context, or null): an
    /// interrupt stops every later stage of the cell it hit, and none of a cell that runs after it.
    /// </summary>
    public CancellationToken NextToken(object? cell)
    {
        lock (_gate)
        {
            if (_source.IsCancellationRequested && !ReferenceEquals(cell, _cell))
            {
                _source.Dispose();
                _source = new CancellationTokenSource();
            }
            _cell = cell;
            return _source.Token;
        }
    }

    /// <summary>Stops the running stage before its next step; a stage that starts later is not affected.</summary>
    public void Interrupt()
    {
        lock (_gate) _source.Cancel();
    }
}
