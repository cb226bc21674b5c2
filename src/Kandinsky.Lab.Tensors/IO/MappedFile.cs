using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// A read-only memory mapping of a whole file, reference-counted: the opener holds one reference and every
/// tensor view over it holds a <see cref="Lease"/>, so the mapping outlives the file object until the last
/// tensor is disposed. Mapping costs address space only; pages are read on first touch.
/// </summary>
sealed unsafe partial class MappedFile
{
    /// <summary>Every mapping alive, so their resident pages can be given back (see <see cref="ReleaseResidentPages"/>).</summary>
    static readonly ConditionalWeakTable<MappedFile, object?> Live = new();

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
            var mapped = new MappedFile(mapping, view, p + view.PointerOffset, stream.Length);
            Live.AddOrUpdate(mapped, null);
            return mapped;
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

    sealed class LeaseHandle(MappedFile file) : IDisposable, IResidentPages
    {
        int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) file.Release();
        }

        /// <summary>Drops the whole pages inside [pointer, pointer + bytes) (partial pages at the ends may hold other tensors).</summary>
        public void Release(void* pointer, long bytes)
        {
            if (!OperatingSystem.IsLinux() || Volatile.Read(ref _done) != 0) return;
            long page = Environment.SystemPageSize;
            long start = ((long)pointer + page - 1) & ~(page - 1), end = ((long)pointer + bytes) & ~(page - 1);
            if (end > start) _ = Madvise((nint)start, (nuint)(end - start), MadviseDontNeed);
        }
    }

    /// <summary>
    /// Drops the pages of every live read-only mapping from this process's resident set (Linux madvise DONTNEED):
    /// they stay in the page cache and come back on the next touch, so nothing is lost, but weights that were packed
    /// into their own buffers no longer count twice.
    /// </summary>
    internal static void ReleaseResidentPages()
    {
        if (!OperatingSystem.IsLinux()) return;
        long page = Environment.SystemPageSize;
        foreach (var (mapped, _) in Live)
        {
            if (!mapped.TryAddRef()) continue;     // already unmapped: its address range may belong to someone else now
            try
            {
                long start = (long)mapped.Pointer & ~(page - 1);
                long end = (long)mapped.Pointer + mapped.Length;
                _ = Madvise((nint)start, (nuint)(end - start), MadviseDontNeed);
            }
            finally
            {
                mapped.Release();
            }
        }
    }

    bool TryAddRef()
    {
        int refs;
        do
        {
            refs = Volatile.Read(ref _refs);
            if (refs <= 0) return false;
        }
        while (Interlocked.CompareExchange(ref _refs, refs + 1, refs) != refs);
        return true;
    }

    const int MadviseDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}

/// <summary>An owner of storage whose resident pages can be dropped without losing data (a read-only file mapping).</summary>
internal unsafe interface IResidentPages
{
    void Release(void* pointer, long bytes);
}
