using System.IO.MemoryMappedFiles;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// A read-only memory mapping of a whole file, reference-counted: the opener holds one reference and every
/// tensor view over it holds a <see cref="Lease"/>, so the mapping outlives the file object until the last
/// tensor is disposed. Mapping costs address space only; pages are read on first touch.
/// </summary>
sealed unsafe class MappedFile
{
    readonly MemoryMappedFile _mapping;
    readonly MemoryMappedViewAccessor _view;
    int _refs = 1;

    MappedFile(MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* pointer, long length)
    {
        _mapping = mapping;
        _view = view;
        Pointer = pointer;
        Length = length;
    }

    public byte* Pointer { get; }
    public long Length { get; }

    /// <summary>Maps <paramref name="stream"/>'s file (which must not be empty) read-only.</summary>
    public static MappedFile Map(FileStream stream)
    {
        var mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(mapping, view, p + view.PointerOffset, stream.Length);
        }
        catch
        {
            view?.Dispose();
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>A new reference, released by disposing the lease (once; thread-safe, also from a finalizer).</summary>
    public IDisposable Lease()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(MappedFile), "The mapping was already released.");
        return new LeaseHandle(this);
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    /// <summary>True while some tensor or the opener still holds the mapping (for tests).</summary>
    public bool IsAlive => Volatile.Read(ref _refs) > 0;

    sealed class LeaseHandle(MappedFile file) : IDisposable
    {
        int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) file.Release();
        }
    }
}
