using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests;

public class TensorViewTests
{
    static Tensor Arange(params int[] shape)
    {
        var n = (int)ShapeUtil.Count(shape);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), shape);
    }

    [Fact]
    public void PermuteThenReshapeCopiesInPermutedOrder()
    {
        using var x = Arange(2, 3, 4);
        using var p = x.Permute(2, 0, 1);
        Assert.False(p.IsContiguous);
        using var r = p.Reshape(4, 6);
        Assert.Equal(x[1, 2, 3], r[3, 5]);
        Assert.Equal(x[0, 1, 2], r[2, 1]);
    }

    [Fact]
    public void ReshapeOfContiguousIsAView()
    {
        using var x = Arange(2, 3, 4);
        using var r = x.Reshape(6, -1);
        Assert.Same(x.Storage, r.Storage);
        Assert.Equal(new[] { 6, 4 }, r.ShapeArray());
    }

    [Fact]
    public void SliceOfLastDimReshapedKeepsViewWhenPossible()
    {
        using var x = Arange(4, 6);
        using var s = x.Slice(0, 1, 3);     // rows 1..2, still contiguous rows
        using var r = s.Reshape(12);
        Assert.Same(x.Storage, r.Storage);
        Assert.Equal(6f, r[0]);
        using var c = x.Slice(1, 0, 3);     // columns: not viewable as flat
        using var rc = c.Reshape(12);
        Assert.NotSame(x.Storage, rc.Storage);
        Assert.Equal(new float[] { 0, 1, 2, 6, 7, 8, 12, 13, 14, 18, 19, 20 }, rc.ToArray());
    }

    [Fact]
    public void ExpandUsesZeroStride()
    {
        using var x = Arange(3, 1);
        using var e = x.Expand(2, 3, 4);
        Assert.Equal(2f, e[1, 2, 3]);
        Assert.Equal(0, e.Stride(0));
    }

    [Fact]
    public void ChunkAndSelect()
    {
        using var x = Arange(5, 2);
        var parts = x.Chunk(2, 0);
        Assert.Equal(2, parts.Length);
        Assert.Equal(3, parts[0].Size(0));
        Assert.Equal(2, parts[1].Size(0));
        Assert.Equal(6f, parts[1][0, 0]);
        foreach (var p in parts) p.Dispose();
        using var row = x.Select(0, -1);
        Assert.Equal(new float[] { 8, 9 }, row.ToArray());
    }

    [Fact]
    public void StorageIsFreedWhenLastViewIsDisposed()
    {
        var x = Arange(4);
        var v = x.Reshape(2, 2);
        x.Dispose();
        Assert.False(v.Storage.IsReleased);
        v.Dispose();
        Assert.True(v.Storage.IsReleased);
        Assert.Throws<ObjectDisposedException>(() => v.ToArray());
    }

    [Fact]
    public void BadReshapeNamesBothShapes()
    {
        using var x = Arange(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }

    [Fact]
    public void HalfRoundTrip()
    {
        using var x = Tensor.FromArray(new float[] { 1f, -2.5f, 0.1f }, 3);
        using var h = x.ToFloat16();
        using var back = h.ToFloat32();
        Assert.Equal((float)(Half)0.1f, back[2]);
        Assert.Equal(-2.5f, h[1]);
    }
}
