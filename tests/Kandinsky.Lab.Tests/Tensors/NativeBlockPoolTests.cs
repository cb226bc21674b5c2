using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

/// <summary>The pool is process-wide: no other test may allocate tensors while these check which block comes back.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeBlockPoolCollection
{
    public const string Name = "Process-wide native block pool";
}

[Collection(NativeBlockPoolCollection.Name)]
public unsafe class NativeBlockPoolTests
{
    const long Large = 3 * NativeBlockPool.MinPooledBytes + 100;

    [Fact]
    public void ALargeReturnedBlockServesTheNextRequestOfTheSameSize()
    {
        NativeBlockPool.Clear();
        void* first = NativeBlockPool.Rent(Large);
        Assert.Equal(0, (nint)first % 64);
        ((byte*)first)[Large - 1] = 1; // the whole requested length is writable
        NativeBlockPool.Return(first, Large);
        Assert.True(NativeBlockPool.PooledBytes >= Large);

        void* again = NativeBlockPool.Rent(Large);
        Assert.True(again == first, "the idle block of the same size should be reused");
        Assert.Equal(0, NativeBlockPool.PooledBytes);
        void* other = NativeBlockPool.Rent(Large); // none idle now: fresh memory
        Assert.True(other != again);
        NativeBlockPool.Return(again, Large);
        NativeBlockPool.Return(other, Large);
        NativeBlockPool.Clear();
        Assert.Equal(0, NativeBlockPool.PooledBytes);
    }

    [Fact]
    public void SmallBlocksAreNotKept()
    {
        NativeBlockPool.Clear();
        void* small = NativeBlockPool.Rent(1000);
        NativeBlockPool.Return(small, 1000);
        Assert.Equal(0, NativeBlockPool.PooledBytes);
    }

    [Fact]
    public void IdleMemoryNeverExceedsTheLimit()
    {
        NativeBlockPool.Clear();
        // Untouched blocks cost address space only, so blocks near the limit are cheap to ask for.
        long half = NativeBlockPool.LimitBytes / 2 + 4096;
        void* a = NativeBlockPool.Rent(half), b = NativeBlockPool.Rent(half), c = NativeBlockPool.Rent(Large);
        NativeBlockPool.Return(c, Large);
        NativeBlockPool.Return(a, half);
        NativeBlockPool.Return(b, half);
        Assert.InRange(NativeBlockPool.PooledBytes, 1, NativeBlockPool.LimitBytes);
        NativeBlockPool.Clear();
    }

    [Fact]
    public void ZerosFromAReusedBlockAreZero()
    {
        NativeBlockPool.Clear();
        int count = (int)(Large / sizeof(float));
        using (var dirty = Tensor.Full(7f, count)) { }
        using var zeros = Tensor.Zeros(count);
        Assert.All(zeros.ToArray(), v => Assert.Equal(0f, v));
    }
}
