using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// A notebook host's view of every denoising stage the lab runs, set in <see cref="KandinskyLab.Host"/> by a kernel
/// adapter (the library names no host): it sees each step, with a picture when the stage has one, and its token stops
/// the stage before the next step.
/// </summary>
public interface IStageHost
{
    /// <summary>A stage starts on the calling thread (the cell's own flow); the token returned stops it.</summary>
    CancellationToken StageStarting(string stage);

    /// <summary>A step is done. <paramref name="preview"/> draws it (cheaply) when the stage has pictures; call it only to show it.</summary>
    void StepDone(StageProgress progress, Func<Image>? preview);

    /// <summary>The stage finished, failed or was stopped.</summary>
    void StageEnded(string stage);
}

/// <summary>One stage run under the <see cref="IStageHost"/>: the caller's callbacks joined with the host's step view and token.</summary>
internal sealed class HostedStage<TStep> : IDisposable where TStep : IStageStep
{
    readonly IStageHost? _host;
    readonly string _stage;
    readonly CancellationTokenSource? _linked;

    public StageCallbacks<TStep>? Callbacks { get; }

    public HostedStage(IStageHost? host, string stage, StageCallbacks<TStep>? callbacks, Func<TStep, Image>? preview)
    {
        (_host, _stage, Callbacks) = (host, stage, callbacks);
        if (host == null) return;
        var hostToken = host.StageStarting(stage);
        _linked = callbacks == null ? null : CancellationTokenSource.CreateLinkedTokenSource(callbacks.CancellationToken, hostToken);
        TStep? last = default;
        Callbacks = new StageCallbacks<TStep>(callbacks?.Stage ?? stage)
        {
            OnStep = step => { last = step; callbacks?.OnStep?.Invoke(step); },
            Progress = new StepProgress(p =>
            {
                callbacks?.Progress?.Report(p);
                var step = last!;
                host.StepDone(p, preview == null ? null : () => preview(step));
            }),
            CancellationToken = _linked?.Token ?? hostToken,
        };
    }

    public void Dispose()
    {
        _host?.StageEnded(_stage);
        _linked?.Dispose();
    }

    /// <summary>Reports synchronously on the stage's thread (<see cref="Progress{T}"/> would post to a captured context).</summary>
    sealed class StepProgress(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }
}
