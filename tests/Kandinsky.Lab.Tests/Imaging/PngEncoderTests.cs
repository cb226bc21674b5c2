using System.IO.Compression;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>Encode → decode round trips; the decoder itself is checked against PngSuite.</summary>
public class PngEncoderTests
{
    /// <summary>Random, smooth and flat content so every filter type wins somewhere.</summary>
    static Image MakeImage(Random rng, int width, int height, int channels)
    {
        var samples = new byte[width * height * channels];
        int kind = rng.Next(3);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                    samples[(y * width + x) * channels + c] = kind switch
                    {
                        0 => (byte)rng.Next(256),
                        1 => (byte)(x * 3 + y * 5 + c * 40 + rng.Next(3)),
                        _ => (byte)(c * 60 + (x / 7 + y / 5) % 2 * 100),
                    };
        return Image.FromBytes(width, height, channels, samples);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(1)]
    [InlineData(2)]
    public void RoundTripsEverySize(int channels)
    {
        var rng = new Random(1234 + channels);
        for (int size = 1; size <= 70; size++)
        {
            foreach (var (w, h) in new[] { (size, rng.Next(1, 71)), (rng.Next(1, 71), size) })
            {
                var image = MakeImage(rng, w, h, channels);
                var decoded = Png.Decode(Png.Encode(image));
                Assert.Equal((w, h, channels, 8), (decoded.Width, decoded.Height, decoded.Channels, decoded.BitDepth));
                Assert.True(image.Bytes.AsSpan().SequenceEqual(decoded.Bytes), $"{w}x{h}x{channels} differs after a round trip");
            }
        }
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Fastest)]
    [InlineData(CompressionLevel.SmallestSize)]
    public void RoundTripsAtEveryCompressionLevel(CompressionLevel level)
    {
        var image = MakeImage(new Random(7), 37, 23, 4);
        Assert.Equal(image.Bytes, Png.Decode(Png.Encode(image, level)).Bytes);
    }

    [Fact]
    public void EncodedFileIsMinimalAndWellFormed()
    {
        var image = MakeImage(new Random(3), 16, 9, 3);
        var info = Png.ReadInfo(Png.Encode(image));
        Assert.Equal(["IHDR", "IDAT", "IEND"], info.Chunks);
        Assert.Equal((16, 9, PngColorType.Rgb, 8, false), (info.Width, info.Height, info.ColorType, info.BitDepth, info.Interlaced));
        Assert.Equal(PngColorType.Rgba, Png.ReadInfo(Png.Encode(image.ToRgba8())).ColorType);
    }

    [Fact]
    public void LargeImageSplitsIdat()
    {
        var noise = new byte[700 * 500 * 4];
        new Random(5).NextBytes(noise); // noise barely compresses: > 1 MiB of IDAT
        var image = Image.FromBytes(700, 500, 4, noise);
        var file = Png.Encode(image, CompressionLevel.Fastest);
        Assert.True(Png.ReadInfo(file).IdatChunks >= 2);
        Assert.Equal(image.Bytes, Png.Decode(file).Bytes);
    }

    [Fact]
    public void HeuristicUsesEveryFilterAndBeatsNoFilter()
    {
        var rng = new Random(11);
        var used = new HashSet<int>();
        long heuristic = 0, unfiltered = 0;
        for (int i = 0; i < 40; i++)
        {
            var image = MakeImage(rng, rng.Next(8, 60), rng.Next(8, 60), 3 + i % 2);
            var file = Png.Encode(image);
            heuristic += file.Length;
            unfiltered += PngBuilder.Simple(PngBuilder.Ihdr(image.Width, image.Height, 8, image.Channels == 3 ? 2 : 6), Unfiltered(image)).Length;
            used.UnionWith(FilterTypes(file, image));
        }
        Assert.Equal([0, 1, 2, 3, 4], used.Order());
        Assert.True(heuristic < unfiltered, $"filtered files total {heuristic} bytes, unfiltered {unfiltered}");
    }

    static byte[] Unfiltered(Image image)
    {
        int row = image.Width * image.Channels;
        var raw = new byte[image.Height * (row + 1)];
        for (int y = 0; y < image.Height; y++) image.Bytes.AsSpan(y * row, row).CopyTo(raw.AsSpan(y * (row + 1) + 1));
        return raw;
    }

    /// <summary>The filter byte of each scanline of a single-IDAT file.</summary>
    static IEnumerable<int> FilterTypes(byte[] file, Image image)
    {
        int length = (file[33] << 24) | (file[34] << 16) | (file[35] << 8) | file[36]; // IDAT follows the 25-byte IHDR chunk
        using var z = new ZLibStream(new MemoryStream(file, 41, length), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        int stride = image.Width * image.Channels + 1;
        return Enumerable.Range(0, image.Height).Select(y => (int)raw.GetBuffer()[y * stride]);
    }

    [Fact]
    public void RejectsNon8BitImages()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Encode(Image.FromWords(1, 1, 3, [1, 2, 3])));
        Assert.Contains("16-bit", e.Message);
        Assert.Throws<ArgumentException>(() => Png.Encode(Image.FromBytes(2, 1, 1, [0, 1], bitDepth: 1)));
    }
}
