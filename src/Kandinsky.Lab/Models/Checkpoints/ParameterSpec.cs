using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Checkpoints;

/// <summary>
/// The parameter list of a network — checkpoint keys and shapes in construction order — obtained by building the
/// network itself against an empty weight store, so the list can never drift from what loading expects.
/// Missing weights come back as one-element broadcast placeholders, so this is cheap even at full model size.
/// </summary>
public static class ParameterSpec
{
    sealed class EmptyStore : IWeightStore
    {
        public IEnumerable<string> Keys => [];
        public bool TryGet(string key, out Tensor tensor, out string source)
        {
            tensor = null!;
            source = "(parameter spec)";
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="build"/> (a network constructor taking a cursor; constructors never check their own
    /// weights, <see cref="WeightCursor.Build"/> does) on an empty store and returns every tensor it requested.
    /// </summary>
    public static IReadOnlyList<WeightRequest> Of(string component, Func<WeightCursor, IDisposable> build)
    {
        var cursor = new WeightCursor(new EmptyStore(), component);
        build(cursor).Dispose();
        return cursor.Requests;
    }

    /// <summary>Number of scalar parameters in <paramref name="spec"/>.</summary>
    public static long Count(IEnumerable<WeightRequest> spec) => spec.Sum(r => ShapeUtil.Count(r.Shape));
}
