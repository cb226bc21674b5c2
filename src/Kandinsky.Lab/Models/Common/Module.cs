using System.Diagnostics.CodeAnalysis;

namespace Kandinsky.Lab.Models.Common;

/// <summary>
/// A network or layer that owns what it builds: each weight tensor and sub-module goes through <see cref="Own{T}"/>
/// as the constructor creates it, and <see cref="Dispose"/> releases them all (last first), so no module writes
/// its own dispose tree and none can forget a child.
/// </summary>
public abstract class Module : IDisposable
{
    readonly List<IDisposable> _owned = [];
    bool _disposed;

    /// <summary>Takes ownership of <paramref name="child"/> (null passes through: an optional bias or layer).</summary>
    [return: NotNullIfNotNull(nameof(child))]
    protected T? Own<T>(T? child) where T : class, IDisposable
    {
        if (child != null) _owned.Add(child);
        return child;
    }

    /// <summary>Takes ownership of every child in order (a stack of layers or blocks).</summary>
    protected T[] Own<T>(IEnumerable<T> children) where T : class, IDisposable
    {
        var all = children.ToArray();
        _owned.AddRange(all);
        return all;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        GC.SuppressFinalize(this);
    }
}
