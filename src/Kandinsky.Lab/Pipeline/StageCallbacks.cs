namespace Kandinsky.Lab.Pipeline;

/// <summary>A recorded step of a denoising stage.</summary>
public interface IStageStep
{
    int Index { get; }
}

/// <summary>Per-step observation and control of a stage (<paramref name="Stage"/> names it in progress reports): a callback, progress and cancellation.</summary>
public sealed class StageCallbacks<TStep>(string stage) where TStep : IStageStep
{
    public string Stage { get; } = stage;
    public Action<TStep>? OnStep { get; init; }
    public IProgress<StageProgress>? Progress { get; init; }
    public CancellationToken CancellationToken { get; init; }

    internal void Report(TStep step, int total)
    {
        OnStep?.Invoke(step);
        Progress?.Report(new StageProgress(Stage, step.Index + 1, total));
    }
}

/// <summary>Progress of a stage: <paramref name="Step"/> of <paramref name="Total"/> steps done.</summary>
public sealed record StageProgress(string Stage, int Step, int Total);
