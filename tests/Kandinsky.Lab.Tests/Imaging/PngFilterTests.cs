using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>The five filters against the PNG specification's formulas (section 9), and filter ∘ unfilter = identity.</summary>
public class PngFilterTests
{
    /// <summary>Spec oracle: the predictor for byte i (a = left, b = up, c = up-left; 0 outside the row).</summary>
    static int Predictor(int type, byte[] row, byte[] prior, int i, int stride)
    {
        int a = i >= stride ? row[i - stride] : 0, b = prior[i], c = i >= stride ? prior[i - stride] : 0;
        switch (type)
        {
            case 0: return 0;
            case 1: return a;
            case 2: return b;
            case 3: return (a + b) / 2;
            default:
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }

    [Fact]
    public void FilterMatchesSpecAndUnfilterInvertsIt()
    {
        var rng = new Random(99);
        for (int stride = 1; stride <= 8; stride++)
            for (int length = stride; length <= 40; length++)
                for (int type = 0; type < PngFilters.Count; type++)
                {
                    var row = new byte[length];
                    var prior = new byte[length];
                    rng.NextBytes(row);
                    rng.NextBytes(prior);
                    var filtered = new byte[length];
                    PngFilters.Filter(type, row, prior, stride, filtered);
                    for (int i = 0; i < length; i++)
                        Assert.Equal((byte)(row[i] - Predictor(type, row, prior, i, stride)), filtered[i]);
                    Assert.True(PngFilters.TryUnfilter(type, filtered, prior, stride));
                    Assert.Equal(row, filtered);
                }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(255)]
    public void UnknownFilterTypeIsRefused(int type) => Assert.False(PngFilters.TryUnfilter(type, new byte[4], new byte[4], 1));

    [Theory]
    [InlineData(10, 20, 10, 20)]   // p = 20: pb = 0 → up
    [InlineData(20, 10, 10, 20)]   // p = 20: pa = 0 → left
    [InlineData(10, 10, 10, 10)]   // all distances 0: left first
    [InlineData(0, 255, 255, 0)]   // p = 0: pa = 0 → left
    [InlineData(100, 50, 80, 80)]  // p = 70: pa 30, pb 20, pc 10 → up-left
    [InlineData(40, 10, 30, 10)]   // p = 20: pa 20, pb = pc = 10 → up before up-left
    public void PaethBreaksTiesInSpecOrder(int left, int up, int upLeft, int expected) =>
        Assert.Equal(expected, PngFilters.Paeth((byte)left, (byte)up, (byte)upLeft));
}
