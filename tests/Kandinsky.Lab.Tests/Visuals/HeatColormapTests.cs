using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Tests.Visuals;

/// <summary>The attention maps' heat scale: its five stops exactly, and brighter for every larger value in between (within byte rounding).</summary>
public class HeatColormapTests
{
    [Theory]
    [InlineData(0f, 0, 0, 4)]
    [InlineData(0.25f, 80, 18, 123)]
    [InlineData(0.5f, 188, 55, 84)]
    [InlineData(0.75f, 249, 142, 9)]
    [InlineData(1f, 252, 255, 164)]
    public void TheStopsAreItsColours(float value, int r, int g, int b) =>
        Assert.Equal(((byte)r, (byte)g, (byte)b), AttentionMapsView.Colormap(value));

    [Fact]
    public void LargerValuesAreBrighter()
    {
        static double Luminance((byte R, byte G, byte B) c) => 0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B;
        var previous = double.NegativeInfinity;
        for (int i = 0; i <= 1000; i++)
        {
            var l = Luminance(AttentionMapsView.Colormap(i / 1000f));
            Assert.True(l >= previous - 1, $"luminance falls at {i / 1000f}: {l} after {previous}");
            previous = l;
        }
    }
}
