using System.Diagnostics;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace Kandinsky.Lab.Interactive;

/// <summary>
/// Shows each stage as one display that updates in place (step, ETA, a preview). The display belongs to the cell that
/// runs the stage: it is created from that cell's invocation context, captured when the stage starts on the cell's own
/// flow, and steps arrive on that flow (the stage loop runs there), so updates reach the right cell. A stage started
/// with no cell context (a thread of the user's own) runs without a display.
/// </summary>
internal sealed class KernelStageHost(StageInterrupt interrupt) : IStageHost
{
    /// <summary>At most this often an update is sent (and a preview drawn), besides the first and last step.</summary>
    static readonly TimeSpan UpdateEvery = TimeSpan.FromMilliseconds(100);

    sealed class Run(DisplayedValue display)
    {
        public DisplayedValue Display { get; } = display;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public TimeSpan LastUpdate { get; set; } = TimeSpan.MinValue;
    }

    readonly AsyncLocal<Run?> _run = new();

    public CancellationToken StageStarting(string stage)
    {
        var context = KernelInvocationContext.Current;
        var token = interrupt.NextToken(context?.Command);
        if (context == null) return token;
        _run.Value = new Run(context.Display(new StageProgressView(stage, 0, null, null, null), MimeTypes.Html));
        // The kernel's own cancellation (Polyglot Notebooks' stop button) stops the stage too.
        return CancellationTokenSource.CreateLinkedTokenSource(token, context.CancellationToken).Token;
    }

    public void StepDone(StageProgress progress, Func<Image>? preview)
    {
        if (_run.Value is not { } run) return;
        var elapsed = run.Clock.Elapsed;
        bool last = progress.Step == progress.Total;
        if (!last && progress.Step > 1 && elapsed - run.LastUpdate < UpdateEvery) return;
        run.LastUpdate = elapsed;
        var eta = elapsed / progress.Step * (progress.Total - progress.Step);
        run.Display.Update(new StageProgressView(progress.Stage, progress.Step, progress.Total, eta, preview?.Invoke()));
    }

    public void StageEnded(string stage) => _run.Value = null;
}
