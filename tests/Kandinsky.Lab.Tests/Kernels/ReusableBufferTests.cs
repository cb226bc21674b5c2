using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>The idle buffer is process-wide: no convolution may run on another test thread while these check reuse.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReusableBufferCollection
{
    public const string Name = "ReusableBuffer (process-wide idle buffer)";
}

[Collection(ReusableBufferCollection.Name)]
public class ReusableBufferTests
{
    [Fact]
    public unsafe void AReturnedBufferServesTheNextRequestThatFitsAndGrowsForALargerOne()
    {
        ReusableBuffer.ReleaseIdle();
        float* first;
        using (var a = ReusableBuffer.Rent(1000))
        {
            Assert.True(a.Length >= 1000);
            Assert.Equal(0, (nint)a.Data % 64);
            first = a.Data;
            a.Data[999] = 1f; // the whole requested length is writable
        }
        using (var b = ReusableBuffer.Rent(500))
            Assert.True(b.Data == first, "a smaller request should reuse the idle buffer");
        using (var c = ReusableBuffer.Rent(5000))
        {
            Assert.True(c.Length >= 5000);
            c.Data[4999] = 2f;
            // While c is rented there is no idle buffer: a concurrent request gets its own memory.
            using var d = ReusableBuffer.Rent(10);
            Assert.True(d.Data != c.Data);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ReusableBuffer.Rent(-1));
    }
}
