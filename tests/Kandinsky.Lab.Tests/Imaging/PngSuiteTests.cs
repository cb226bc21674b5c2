using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>PngSuite: every valid image decodes to exactly the reference pixels; every corrupt one (x*) is rejected.</summary>
public class PngSuiteTests
{
    static string ImagesDir => Fixtures.Path_("pngsuite", "images");

    static readonly Lazy<Dictionary<string, (int[] Shape, ushort[] Data)>> Reference = new(() => ReadReference(Fixtures.Path_("pngsuite", "reference.safetensors")));

    public static TheoryData<string> ValidImages() => new(Stems(valid: true));
    public static TheoryData<string> CorruptImages() => new(Stems(valid: false));

    /// <summary>File stems of the suite; corrupt images are the ones starting with 'x'.</summary>
    internal static IEnumerable<string> Stems(bool valid) =>
        Directory.GetFiles(ImagesDir, "*.png").Select(Path.GetFileNameWithoutExtension).Select(s => s!)
            .Where(stem => stem.StartsWith('x') != valid).Order();

    [Fact]
    public void SuiteIsComplete()
    {
        Assert.Equal(106, Stems(valid: true).Count());
        Assert.Equal(10, Stems(valid: false).Count());
        Assert.Equal(Stems(valid: true), Reference.Value.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(ValidImages))]
    public void ValidImageDecodesExactly(string stem)
    {
        var image = Png.Load(Path.Combine(ImagesDir, stem + ".png"));
        var (shape, expected) = Reference.Value[stem];
        Assert.Equal(shape, new[] { image.Height, image.Width, 4 });
        var actual = image.ToRgba16();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (actual[i] != expected[i])
                Assert.Fail($"{stem}: pixel ({i / 4 % image.Width}, {i / 4 / image.Width}) channel {i % 4} is {actual[i]}, expected {expected[i]}");
    }

    [Theory]
    [MemberData(nameof(ValidImages))]
    public void ReadInfoAgreesWithDecode(string stem)
    {
        var path = Path.Combine(ImagesDir, stem + ".png");
        var info = Png.ReadInfo(path);
        var image = Png.Load(path);
        Assert.Equal((image.Width, image.Height), (info.Width, info.Height));
        // PngSuite names encode the layout: [i]nterlaced or [n]ot, colour type digit, bit depth.
        Assert.Equal(stem[3] == 'i', info.Interlaced);
        Assert.Equal(int.Parse(stem[4..5]), (int)info.ColorType);
        Assert.Equal(int.Parse(stem[6..8]), info.BitDepth);
        Assert.Equal("IHDR", info.Chunks[0]);
        Assert.Equal("IEND", info.Chunks[^1]);
        Assert.Equal(info.IdatChunks, info.Chunks.Count(c => c == "IDAT"));
    }

    [Theory]
    [MemberData(nameof(CorruptImages))]
    public void CorruptImageIsRejected(string stem)
    {
        var path = Path.Combine(ImagesDir, stem + ".png");
        var e = Assert.Throws<PngException>(() => Png.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.Equal(path, e.FileName);
        Assert.Throws<PngException>(() => Png.ReadInfo(File.ReadAllBytes(path)));
    }

    [Theory]
    [InlineData("xs1n0g01", "signature")]
    [InlineData("xs4n0g01", "signature")]
    [InlineData("xs7n0g01", "signature")]
    [InlineData("xlfn0g04", "signature")]
    [InlineData("xc1n0g08", "colour type 1")]
    [InlineData("xc9n2c08", "colour type 9")]
    [InlineData("xd0n2c08", "bit depth 0")]
    [InlineData("xd9n2c08", "bit depth 99")]
    [InlineData("xcsn0g01", "CRC mismatch")]
    [InlineData("xdtn0g01", "no IDAT")]
    public void CorruptImageMessageSaysWhatIsWrong(string stem, string expected)
    {
        var e = Assert.Throws<PngException>(() => Png.Load(Path.Combine(ImagesDir, stem + ".png")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReadInfoReportsPaletteAndTransparency()
    {
        var info = Png.ReadInfo(Path.Combine(ImagesDir, "tbbn3p08.png"));
        Assert.Equal(PngColorType.Palette, info.ColorType);
        Assert.True(info.HasTransparency);
        Assert.InRange(info.PaletteSize, 1, 256);
        Assert.Equal(1, info.Channels);
        Assert.Equal(32 * (1 + 32), info.ImageDataBytes);
        var grey = Png.ReadInfo(Path.Combine(ImagesDir, "basn0g16.png"));
        Assert.Equal(0, grey.PaletteSize);
        Assert.False(grey.HasTransparency);
        Assert.Equal(32 * (1 + 64), grey.ImageDataBytes);
    }

    static Dictionary<string, (int[] Shape, ushort[] Data)> ReadReference(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return file.Names.ToDictionary(name => name, name =>
        {
            var data = file.ReadArray<ushort>(name, out var shape);
            return (shape.Select(d => (int)d).ToArray(), data);
        });
    }
}
