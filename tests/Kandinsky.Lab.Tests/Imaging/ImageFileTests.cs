using Kandinsky.Lab.Imaging;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;
using SkiaSharp;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>The one image loader: PNG on our codec, JPEG/WebP/GIF/BMP through SkiaSharp, upright, and hostile files rejected by name.</summary>
public class ImageFileTests(ITestOutputHelper output)
{
    const int W = 40, H = 24;
    static readonly byte[][] Quadrants = [[230, 30, 30], [30, 200, 40], [40, 60, 220], [240, 220, 40]];   // TL, TR, BL, BR

    /// <summary>A W×H RGB picture of four flat quadrants: colours a lossy codec keeps and a turn or flip moves.</summary>
    static Image FourQuadrants()
    {
        var rgb = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                Quadrants[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)].CopyTo(rgb, (y * W + x) * 3);
        return Image.FromBytes(W, H, 3, rgb);
    }

    /// <summary>The mean colour of a quadrant's inner half (away from the edges a lossy codec blurs).</summary>
    static double[] Mean(Image image, int qx, int qy)
    {
        int w = image.Width / 2, h = image.Height / 2, c = image.Channels;
        var sum = new double[3];
        int n = 0;
        for (int y = qy * h + h / 4; y < qy * h + 3 * h / 4; y++)
            for (int x = qx * w + w / 4; x < qx * w + 3 * w / 4; x++, n++)
                for (int k = 0; k < 3; k++) sum[k] += image.Bytes![(y * image.Width + x) * c + k];
        return sum.Select(s => s / n).ToArray();
    }

    static void AssertQuadrants(Image image, double tolerance)
    {
        Assert.Equal((W, H), (image.Width, image.Height));
        for (int q = 0; q < 4; q++)
        {
            var mean = Mean(image, q % 2, q / 2);
            for (int k = 0; k < 3; k++) Assert.InRange(mean[k], Quadrants[q][k] - tolerance, Quadrants[q][k] + tolerance);
        }
    }

    static byte[] SkiaEncode(Image image, SKEncodedImageFormat format, int quality = 95)
    {
        var rgba = image.ToRgba8().Bytes!;
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    [Theory]
    [InlineData("JPEG", 12.0)]
    [InlineData("WebP", 12.0)]
    [InlineData("BMP", 0.0)]
    [InlineData("GIF", 0.0)]
    public void ReadsThePhotoFormatsUsersHave(string format, double tolerance)
    {
        var picture = FourQuadrants();
        var bytes = format switch
        {
            "JPEG" => SkiaEncode(picture, SKEncodedImageFormat.Jpeg),
            "WebP" => SkiaEncode(picture, SKEncodedImageFormat.Webp),
            "BMP" => TestImages.Bmp(picture),
            _ => TestImages.Gif(picture),
        };
        var path = Path.Combine(Directory.CreateTempSubdirectory("kl-image-").FullName, "photo.bin");   // the name says nothing: the bytes do
        File.WriteAllBytes(path, bytes);
        var image = ImageFile.Load(path);
        Assert.Equal((3, 8), (image.Channels, image.BitDepth));
        AssertQuadrants(image, tolerance);
    }

    [Fact]
    public void PngGoesThroughTheLabsOwnCodecBitForBit()
    {
        var path = Fixtures.Path_("pngsuite", "images", "basi2c16.png");
        var ours = Png.Load(path);
        var loaded = ImageFile.Load(path);
        Assert.Equal(16, loaded.BitDepth);
        Assert.Equal(ours.Words, loaded.Words);
    }

    [Fact]
    public void AlphaIsKeptWhenTheFileHasIt()
    {
        var rgba = new byte[W * H * 4];
        for (int i = 0; i < W * H; i++) { rgba[i * 4] = 200; rgba[i * 4 + 3] = (byte)(i % 2 == 0 ? 255 : 0); }
        var image = ImageFile.Decode(SkiaEncode(Image.FromBytes(W, H, 4, rgba), SKEncodedImageFormat.Webp, 100), "alpha.webp");
        Assert.Equal(4, image.Channels);
        Assert.Equal(rgba.Where((_, i) => i % 4 == 3), image.Bytes!.Where((_, i) => i % 4 == 3));
    }

    /// <summary>Where the stored top-left and top-right pixels must land for each EXIF orientation (TIFF 6.0 / EXIF 2.3 table).</summary>
    [Theory]
    [InlineData(1, "TL", "TR")]
    [InlineData(2, "TR", "TL")]
    [InlineData(3, "BR", "BL")]
    [InlineData(4, "BL", "BR")]
    [InlineData(5, "TL", "BL")]
    [InlineData(6, "TR", "BR")]
    [InlineData(7, "BR", "TR")]
    [InlineData(8, "BL", "TL")]
    public void ExifOrientationTurnsThePhotoUpright(int orientation, string topLeftLands, string topRightLands)
    {
        var jpeg = TestImages.WithExifOrientation(SkiaEncode(FourQuadrants(), SKEncodedImageFormat.Jpeg), orientation);
        var image = ImageFile.Decode(jpeg, "camera.jpg");
        bool turned = orientation >= 5;
        Assert.Equal(turned ? (H, W) : (W, H), (image.Width, image.Height));
        AssertNear(Quadrants[0], At(image, topLeftLands));
        AssertNear(Quadrants[1], At(image, topRightLands));
    }

    static double[] At(Image image, string corner) => Mean(image, corner[1] == 'L' ? 0 : 1, corner[0] == 'T' ? 0 : 1);

    static void AssertNear(byte[] expected, double[] actual)
    {
        for (int k = 0; k < 3; k++) Assert.InRange(actual[k], expected[k] - 12.0, expected[k] + 12.0);
    }

    [Fact]
    public void HostileFilesGetOneClearErrorNamingTheFile()
    {
        var jpeg = SkiaEncode(FourQuadrants(), SKEncodedImageFormat.Jpeg);
        var cases = new (byte[] Bytes, string Says)[]
        {
            ([], "the file is empty"),
            ("GIF88a not really"u8.ToArray(), "is not an image the lab reads (PNG, JPEG, WebP, GIF or BMP); it starts with 47 49 46 38 38 61"),
            (jpeg[..(jpeg.Length / 2)], "JPEG file (truncated or corrupt data)"),
            (jpeg[..(jpeg.Length * 9 / 10)], "truncated or corrupt data"),
            (TestImages.WithJpegSize(jpeg, 60000, 60000), "JPEG of 60000x60000 is outside the limits"),
            (File.ReadAllBytes(Fixtures.Path_("pngsuite", "images", "basi0g16.png"))[..60], "PNG: truncated"),
        };
        foreach (var (bytes, says) in cases)
        {
            var e = Assert.Throws<ImageFileException>(() => ImageFile.Decode(bytes, "/photos/hostile.jpg"));
            output.WriteLine(e.Message);
            Assert.StartsWith("/photos/hostile.jpg: ", e.Message);
            Assert.Contains(says, e.Message);
        }
        var missing = Assert.Throws<ImageFileException>(() => ImageFile.Load("/nonexistent/photo.jpg"));
        Assert.StartsWith("/nonexistent/photo.jpg: cannot be read", missing.Message);
    }

    /// <summary>
    /// Mutation fuzzing of the SkiaSharp path (JPEG, WebP, GIF, BMP): flipped, overwritten, inserted, deleted and truncated
    /// bytes end in an image or an <see cref="ImageFileException"/>, never another exception or a crash, and the managed
    /// memory one file takes stays within what the limits allow.
    /// </summary>
    [Fact]
    public void MutatedFilesOnlyEverThrowImageFileException()
    {
        const int Iterations = 20_000, Seed = 20261208;
        var picture = FourQuadrants();
        byte[][] corpus = [SkiaEncode(picture, SKEncodedImageFormat.Jpeg), SkiaEncode(picture, SKEncodedImageFormat.Webp),
            TestImages.Bmp(picture), TestImages.Gif(picture), TestImages.WithExifOrientation(SkiaEncode(picture, SKEncodedImageFormat.Jpeg), 6)];
        var limits = new ImageLimits { MaxPixels = 1 << 20 };
        long bound = 3L * (4L << 20) + (1 << 20);   // the RGBA copy, the RGB copy, the upright copy, and slack
        var rng = new Random(Seed);
        int decoded = 0, rejected = 0;
        long worst = 0;
        var failures = new List<string>();
        for (int i = 0; i < Iterations && failures.Count < 5; i++)
        {
            var file = TestImages.Mutate(corpus[rng.Next(corpus.Length)], rng, out var what);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var image = ImageFile.Decode(file, "fuzz.bin", limits);
                Assert.True(image.Width > 0 && image.Height > 0 && (long)image.Width * image.Height <= limits.MaxPixels);
                decoded++;
            }
            catch (ImageFileException e)
            {
                Assert.StartsWith("fuzz.bin: ", e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"iteration {i} ({what}): {e.GetType().Name}: {e.Message}");
            }
            worst = Math.Max(worst, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        output.WriteLine($"{Iterations} iterations (seed {Seed}): {decoded} decoded, {rejected} rejected; most managed memory for one file {worst / 1024} KiB");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(rejected > Iterations / 20 && decoded > Iterations / 20, $"{decoded} decoded, {rejected} rejected: the mutants do not reach both outcomes");
        Assert.InRange(worst, 0, bound);
    }

    [Fact]
    public void AJpegDrivesImg2Img()
    {
        using var lab = KandinskyLab.Micro();
        var text = lab.EncodeText("a person with blue hair");
        var prior = lab.Prior(text, new PriorOptions { Steps = 2, Seed = 3 });
        var options = new DecodeOptions { Steps = 4, Seed = 3 };
        var photo = ImageFile.Decode(SkiaEncode(FourQuadrants(), SKEncodedImageFormat.Jpeg), "photo.jpg");
        var fromPhoto = lab.Img2Img(photo, 0.5f, prior.ImageEmbeds, prior.NegativeImageEmbeds, text, options);
        var grey = Image.FromBytes(W, H, 3, Enumerable.Repeat((byte)128, W * H * 3).ToArray());
        var fromGrey = lab.Img2Img(grey, 0.5f, prior.ImageEmbeds, prior.NegativeImageEmbeds, text, options);
        Assert.Equal(64, fromPhoto.Images[0].Width);
        Assert.NotEqual(fromGrey.Images[0].Bytes, fromPhoto.Images[0].Bytes);
        // the photo's layout survives half-strength img2img: its red top-left stays redder than its blue bottom-left
        var image = fromPhoto.Images[0];
        var topLeft = Mean(image, 0, 0);
        var bottomLeft = Mean(image, 0, 1);
        Assert.True(topLeft[0] - topLeft[2] > bottomLeft[0] - bottomLeft[2], $"top-left {string.Join(",", topLeft)} vs bottom-left {string.Join(",", bottomLeft)}");
    }
}
