using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Common;

/// <summary>The outputs of a network's forward pass, which the caller owns: disposing the record disposes them all.</summary>
public abstract record ModelOutput : IDisposable
{
    readonly Tensor[] _owned;

    protected ModelOutput(params Tensor[] owned) => _owned = owned;

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}
