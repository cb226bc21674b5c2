using Kandinsky.Lab.Analysis;

namespace Kandinsky.Lab.Tests.Analysis;

public class PortraitReaderTests
{
    /// <summary>Cartoon colours near (not equal to) the reader's palette, as a renderer with its own shades would draw them.</summary>
    static readonly (string Name, (byte, byte, byte) Rgb)[] Hair =
    [
        ("black", (20, 20, 24)), ("brown", (120, 72, 36)), ("blond", (235, 215, 130)), ("red", (210, 60, 30)), ("blue", (50, 90, 230)),
        ("green", (50, 150, 70)), ("pink", (245, 140, 190)), ("white", (245, 245, 240)), ("purple", (140, 70, 190)),
    ];

    static readonly (string Name, (byte, byte, byte) Rgb)[] Shirts =
    [
        ("red", (230, 50, 45)), ("blue", (30, 70, 210)), ("green", (30, 170, 70)), ("yellow", (245, 215, 60)),
        ("white", (250, 250, 250)), ("black", (25, 25, 25)), ("orange", (250, 150, 40)), ("purple", (120, 50, 170)),
    ];

    [Fact]
    public void ReadsEyesHairAndShirtOfRenderedPortraitsAtEveryJitter()
    {
        int i = 0;
        foreach (var (hair, hairRgb) in Hair)
            foreach (var (shirt, shirtRgb) in Shirts)
            {
                int dy = i % 5 - 2, dx = (i / 5) % 5 - 2;
                var image = TestPortraits.Render((60, 110, 250), dy, dx, hairRgb, shirtRgb, noise: 8, seed: i++);
                var read = PortraitReader.Instance.Read(image);
                Assert.True(("blue", hair, shirt) == (read["eyes"], read["hair"], read["shirt"]),
                    $"rendered blue eyes / {hair} hair / {shirt} shirt at ({dy}, {dx}), read {read["eyes"]} / {read["hair"]} / {read["shirt"]}");
            }
    }

    [Fact]
    public void WithoutEyesTheEyesAreNotFoundButHairAndShirtStillRead()
    {
        var read = PortraitReader.Instance.Read(TestPortraits.Render(null, hair: (210, 60, 30), shirt: (30, 70, 210)));
        Assert.Equal(AttributeReading.NotFound, read["eyes"]);
        Assert.Equal("red", read["hair"]);
        Assert.Equal("blue", read["shirt"]);
    }

    [Fact]
    public void AnUnknownAttributeIsAClearError()
    {
        var read = PortraitReader.Instance.Read(TestPortraits.Render((60, 110, 250)));
        var e = Assert.Throws<KeyNotFoundException>(() => read["glasses"]);
        Assert.Contains("glasses", e.Message);
    }
}
