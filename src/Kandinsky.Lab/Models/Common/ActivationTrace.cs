using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Common;

/// <summary>
/// Records named intermediate activations (the golden files' <c>trace.*</c> names without the prefix) into a
/// dictionary the caller owns and disposes; recording is skipped when no dictionary is given.
/// </summary>
public static class ActivationTrace
{
    /// <summary>Stores a copy of <paramref name="value"/> under <paramref name="name"/> (replacing and disposing an earlier one).</summary>
    public static void Record(this IDictionary<string, Tensor>? trace, string name, Tensor value)
    {
        if (trace == null) return;
        if (trace.TryGetValue(name, out var old)) old.Dispose();
        trace[name] = value.Clone();
    }
}
