using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Models.Clip;

namespace Kandinsky.Lab.Tests.Models;

public class PilResampleTests
{
    [Fact]
    public void SameSizeIsACopy()
    {
        var pixels = Enumerable.Range(0, 5 * 7 * 3).Select(i => (byte)(i * 37)).ToArray();
        Assert.Equal(pixels, PilResample.Bicubic(pixels, 5, 7, 3, 5, 7));
    }

    [Fact]
    public void ConstantImagesStayConstantForAnySize()
    {
        var sizes = Gen.Choose(1, 40).Four().Select(t => (t.Item1, t.Item2, t.Item3, t.Item4)).ToArbitrary();
        Prop.ForAll(sizes, Gen.Choose(0, 255).ToArbitrary(),
                (size, value) =>
                {
                    var (h, w, oh, ow) = size;
                    var pixels = Enumerable.Repeat((byte)value, h * w * 3).ToArray();
                    return PilResample.Bicubic(pixels, h, w, 3, oh, ow).All(p => p == value);
                })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void BadSizesAreRejectedWithTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => PilResample.Bicubic(new byte[10], 2, 2, 3, 4, 4));
        Assert.Contains("2x2x3", ex.Message);
    }
}
