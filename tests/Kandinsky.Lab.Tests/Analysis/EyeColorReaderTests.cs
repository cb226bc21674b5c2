using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Analysis;

public class EyeColorReaderTests
{
    static readonly (string Name, (byte, byte, byte) Rgb)[] Irises =
    [
        ("blue", (60, 110, 250)), ("green", (40, 170, 60)), ("red", (225, 40, 40)),
        ("purple", (150, 60, 200)), ("brown", (120, 70, 30)), ("gray", (128, 128, 132)),
    ];

    static Image Portrait((byte R, byte G, byte B) iris, int dy, int dx, bool eyes = true) => TestPortraits.Render(eyes ? iris : null, dy, dx);

    [Fact]
    public void ReadsEveryIrisColourAtEveryJitter()
    {
        foreach (var (name, rgb) in Irises)
            for (int dy = -2; dy <= 2; dy += 2)
                for (int dx = -2; dx <= 2; dx += 2)
                {
                    var reading = EyeColorReader.Read(Portrait(rgb, dy, dx));
                    Assert.True(reading.Found, $"{name} at ({dy}, {dx}) not found");
                    Assert.Equal(name, reading.Color);
                    Assert.InRange(reading.Left.X, 23 + dx - 1, 25 + dx + 1);
                    Assert.InRange(reading.Right.Y, 30 + dy, 34 + dy);
                }
    }

    [Fact]
    public void AFaceWithoutEyesIsNotFound()
    {
        Assert.False(EyeColorReader.Read(Portrait((60, 110, 250), 0, 0, eyes: false)).Found);
        Assert.False(EyeColorReader.Read(Image.FromBytes(64, 64, 3, Enumerable.Repeat((byte)255, 64 * 64 * 3).ToArray())).Found);
    }

    [Fact]
    public void ScalesWithTheImage()
    {
        var small = Portrait((40, 170, 60), 0, 0);
        var big = new byte[128 * 128 * 3];
        for (int y = 0; y < 128; y++)
            for (int x = 0; x < 128; x++)
                for (int c = 0; c < 3; c++) big[(y * 128 + x) * 3 + c] = small.Bytes![((y / 2) * 64 + x / 2) * 3 + c];
        Assert.Equal("green", EyeColorReader.Read(Image.FromBytes(128, 128, 3, big)).Color);
    }
}
