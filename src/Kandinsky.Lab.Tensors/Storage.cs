using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors;

/// <summary>Element types a storage can hold. Compute is float32; F16/BF16 exist for weights that stay half-size.</summary>
public enum DType { F32, F16, BF16 }

public static class DTypeExtensions
{
    public static int Size(this DType dtype) => dtype == DType.F32 ? 4 : 2;
}

/// <summary>
/// A block of memory that tensors view. Reference-counted: every <see cref="Tensor"/> over it holds one
/// reference, and the memory is released when the last one is disposed (or, as a safety net, when the
/// storage is finalized), so a notebook that forgets to dispose still returns memory under GC pressure.
/// </summary>
public abstract unsafe class Storage
{
    int _refs;
    int _released;

    protected Storage(void* pointer, long byteLength)
    {
        Pointer = pointer;
        ByteLength = byteLength;
    }

    public void* Pointer { get; }
    public long ByteLength { get; }
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) ReleaseOnce();
    }

    void ReleaseOnce()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory; called exactly once.</summary>
    protected abstract void Free();

    /// <summary>
    /// For storage over a read-only file mapping: drops its whole pages from the process's resident set (they stay in
    /// the page cache and come back on the next touch, so nothing is lost). Called once a weight has been packed into
    /// its own buffer, so the weight does not count twice. Does nothing for other storage.
    /// </summary>
    internal virtual void ReleaseResidentPages()
    {
    }

    ~Storage()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Free();
    }
}

/// <summary>64-byte aligned native memory owned by the engine (large blocks are reused through <see cref="NativeBlockPool"/>).</summary>
public sealed unsafe class NativeStorage : Storage
{
    public const int Alignment = 64;

    NativeStorage(void* pointer, long byteLength) : base(pointer, byteLength)
    {
        if (byteLength > 0) GC.AddMemoryPressure(byteLength);
    }

    public static NativeStorage Allocate(long byteLength, bool zero)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        void* p;
        try { p = NativeBlockPool.Rent(byteLength); }
        catch (OutOfMemoryException)
        {
            throw new OutOfMemoryException($"Tensor allocation of {byteLength:N0} bytes failed: not enough memory.");
        }
        if (zero) NativeMemory.Clear(p, (nuint)byteLength);
        return new NativeStorage(p, byteLength);
    }

    protected override void Free()
    {
        NativeBlockPool.Return(Pointer, ByteLength);
        if (ByteLength > 0) GC.RemoveMemoryPressure(ByteLength);
    }
}

/// <summary>
/// Memory the engine does not own (a memory-mapped weight file, a pinned array): the owner is disposed
/// when the last tensor over it goes away, or never when <c>owner</c> is null.
/// </summary>
public sealed unsafe class ExternalStorage : Storage
{
    readonly IDisposable? _owner;

    public ExternalStorage(void* pointer, long byteLength, IDisposable? owner) : base(pointer, byteLength)
    {
        _owner = owner;
    }

    protected override void Free() => _owner?.Dispose();

    internal override void ReleaseResidentPages()
    {
        if (_owner is IO.IResidentPages pages && !IsReleased) pages.Release(Pointer, ByteLength);
    }
}
