using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>ImageEmbedding.Mix and Slerp against their closed forms.</summary>
public class ImageEmbeddingTests
{
    static ImageEmbedding Rows(params float[][] rows) =>
        new(Tensor.FromArray(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length), rows.Select((_, i) => $"r{i}").ToList());

    static float[] Unit(int dim, int seed)
    {
        var rng = new Random(seed);
        var v = Enumerable.Range(0, dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / n)).ToArray();
    }

    [Fact]
    public void MixIsTheWeightedSum()
    {
        using var a = Rows([1f, 2f, 3f]);
        using var b = Rows([-1f, 0.5f, 4f]);
        using var mixed = ImageEmbedding.Mix([(a, 0.3f), (b, 2f)]);
        Assert.Equal([0.3f * 1 + 2f * -1, 0.3f * 2 + 2f * 0.5f, 0.3f * 3 + 2f * 4], mixed.Vector(0));
        Assert.Equal(["0.3·r0 + 2·r0"], mixed.Labels);
    }

    [Fact]
    public void MixRejectsMultiRowPartsAndNothing()
    {
        using var two = Rows([1f, 2f], [3f, 4f]);
        Assert.Contains("one row", Assert.Throws<ArgumentException>(() => ImageEmbedding.Mix([(two, 1f)])).Message);
        Assert.Throws<ArgumentException>(() => ImageEmbedding.Mix([]));
    }

    [Fact]
    public void SlerpEndpointsAreTheInputs()
    {
        using var a = Rows(Unit(16, 1));
        using var b = Rows(Unit(16, 2));
        using var start = ImageEmbedding.Slerp(a, b, 0f);
        using var end = ImageEmbedding.Slerp(a, b, 1f);
        for (int i = 0; i < 16; i++)
        {
            Assert.Equal(a.Vector(0)[i], start.Vector(0)[i], 1e-6f);
            Assert.Equal(b.Vector(0)[i], end.Vector(0)[i], 1e-6f);
        }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.77f)]
    public void SlerpKeepsUnitVectorsOnTheSphereAtTheFractionOfTheAngle(float t)
    {
        float[] x = Unit(32, 3), y = Unit(32, 4);
        using var a = Rows(x);
        using var b = Rows(y);
        using var z = ImageEmbedding.Slerp(a, b, t);
        Assert.Equal(1.0, z.Norm(0), 1e-5);
        double theta = Math.Acos(ImageEmbedding.Cosine(x, y));
        Assert.Equal(t * theta, Math.Acos(ImageEmbedding.Cosine(x, z.Vector(0))), 1e-4);
        Assert.Equal((1 - t) * theta, Math.Acos(ImageEmbedding.Cosine(y, z.Vector(0))), 1e-4);
    }

    [Fact]
    public void SlerpOfOrthogonalUnitVectorsAtHalfIsTheirNormalisedSum()
    {
        using var a = Rows([1f, 0f, 0f]);
        using var b = Rows([0f, 1f, 0f]);
        using var z = ImageEmbedding.Slerp(a, b, 0.5f);
        float h = (float)Math.Sqrt(0.5);
        var v = z.Vector(0);
        Assert.Equal(h, v[0], 1e-6f);
        Assert.Equal(h, v[1], 1e-6f);
        Assert.Equal(0f, v[2]);
    }

    [Fact]
    public void SlerpWorksRowByRow()
    {
        float[] x0 = Unit(8, 5), x1 = Unit(8, 6), y0 = Unit(8, 7), y1 = Unit(8, 8);
        using var a = Rows(x0, x1);
        using var b = Rows(y0, y1);
        using var both = ImageEmbedding.Slerp(a, b, 0.4f);
        using var first = ImageEmbedding.Slerp(Rows(x0), Rows(y0), 0.4f);
        using var second = ImageEmbedding.Slerp(Rows(x1), Rows(y1), 0.4f);
        Assert.Equal(2, both.Count);
        Assert.Equal(first.Vector(0), both.Vector(0));
        Assert.Equal(second.Vector(0), both.Vector(1));
        Assert.NotEqual(both.Vector(0), both.Vector(1));
        Assert.Equal("slerp(r1, r1, 0.4)", both.Labels[1]);
    }

    [Fact]
    public void SlerpRejectsDifferentShapes()
    {
        using var one = Rows([1f, 0f]);
        using var two = Rows([1f, 0f], [0f, 1f]);
        Assert.Contains("same shape", Assert.Throws<ArgumentException>(() => ImageEmbedding.Slerp(one, two, 0.5f)).Message);
    }
}
