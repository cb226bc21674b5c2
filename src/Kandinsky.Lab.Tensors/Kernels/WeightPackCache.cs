using System.Runtime.CompilerServices;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// Packed forms of weight tensors (GEMM panels, conv panels, Winograd transforms), made on first use and kept for as
/// long as the weight tensor object lives. Once a weight is packed, its own pages leave the resident set
/// (<see cref="Storage.ReleaseResidentPages"/>), so a memory-mapped weight does not count twice.
/// </summary>
internal sealed class WeightPackCache<T> where T : class
{
    readonly ConditionalWeakTable<Tensor, T> _packs = new();

    /// <summary>The cached pack of <paramref name="weight"/>, made by <paramref name="pack"/> the first time.</summary>
    public T GetOrPack(Tensor weight, Func<Tensor, T> pack)
    {
        if (_packs.TryGetValue(weight, out var cached)) return cached;
        var packed = pack(weight);
        weight.Storage.ReleaseResidentPages();
        // Two threads may race to pack the same weight: keep the first, let the loser's finalizer free it.
        return _packs.GetValue(weight, _ => packed);
    }

    /// <summary>Forgets the pack of <paramref name="weight"/> (packs in use stay alive until their callers finish).</summary>
    public void Forget(Tensor weight) => _packs.Remove(weight);

    /// <summary>Forgets every pack.</summary>
    public void Clear() => _packs.Clear();
}
