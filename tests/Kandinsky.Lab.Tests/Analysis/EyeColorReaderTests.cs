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

    /// <summary>A simplified portrait in the layout of the micro world: eyes 14 px apart at about y = 32.</summary>
    static Image Portrait((byte R, byte G, byte B) iris, int dy, int dx, bool eyes = true)
    {
        var px = new byte[64 * 64 * 3];
        void Put(int y, int x, (byte R, byte G, byte B) c)
        {
            if ((uint)y >= 64 || (uint)x >= 64) return;
            int i = (y * 64 + x) * 3;
            (px[i], px[i + 1], px[i + 2]) = (c.R, c.G, c.B);
        }
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
                Put(y, x, (y - 32) * (y - 32) + (x - 32) * (x - 32) < 18 * 18 ? ((byte)220, (byte)180, (byte)150) : ((byte)170, (byte)190, (byte)230));
        if (eyes)
            foreach (int cx in new[] { 25 + dx, 39 + dx })
                for (int y = -5; y <= 5; y++)
                    for (int x = -5; x <= 5; x++)
                    {
                        int d2 = y * y + x * x;
                        if (d2 <= 1) Put(32 + dy + y, cx + x, (10, 10, 10));
                        else if (d2 <= 7) Put(32 + dy + y, cx + x, iris);
                        else if (d2 <= 20) Put(32 + dy + y, cx + x, (245, 245, 245));
                    }
        return Image.FromBytes(64, 64, 3, px);
    }

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
