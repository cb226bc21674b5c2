using Kandinsky.Lab.Tensors.Imaging;
using SkiaSharp;

namespace Kandinsky.Lab.Imaging;

/// <summary>Limits a decoded image must keep, checked from the header before any pixel memory is taken.</summary>
public sealed record ImageLimits
{
    public static ImageLimits Default { get; } = new();

    public int MaxWidth { get; init; } = 1 << 16;
    public int MaxHeight { get; init; } = 1 << 16;
    /// <summary>Width × height; the default (2^26, e.g. 8192 × 8192) keeps the RGBA copy under 256 MiB.</summary>
    public long MaxPixels { get; init; } = 1L << 26;
}

/// <summary>A file that is not an image the lab reads, or a damaged or oversized one; the message names the file.</summary>
public sealed class ImageFileException(string fileName, string problem, Exception? inner = null)
    : Exception($"{fileName}: {problem}", inner)
{
    public string FileName { get; } = fileName;
    public string Problem { get; } = problem;
}

/// <summary>
/// The one image loader: PNG through the lab's own exact codec (<see cref="Png"/>: every bit depth, 16-bit kept), and
/// JPEG, WebP, GIF (first frame) and BMP through SkiaSharp, as 8-bit RGB (RGBA when the file has alpha) turned
/// upright by the file's EXIF orientation — the images users have, for img2img, inpainting and EmbedImage.
/// The format comes from the file's first bytes, not its name.
/// </summary>
public static class ImageFile
{
    public static Image Load(string path, ImageLimits? limits = null)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageFileException(path, $"cannot be read: {e.Message}", e);
        }
        return Decode(bytes, path, limits);
    }

    public static Image Decode(ReadOnlyMemory<byte> file, string fileName, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        var span = file.Span;
        if (span.StartsWith(PngSignature))
        {
            var options = PngDecoderOptions.Default with { MaxWidth = limits.MaxWidth, MaxHeight = limits.MaxHeight, MaxPixels = limits.MaxPixels };
            try { return Png.Decode(file, fileName, options); }
            catch (PngException e) { throw new ImageFileException(fileName, e.Chunk == null ? $"PNG: {e.Problem}" : $"PNG {e.Chunk} chunk: {e.Problem}", e); }
        }
        var format = Sniff(span) ?? throw new ImageFileException(fileName,
            $"is not an image the lab reads (PNG, JPEG, WebP, GIF or BMP); it starts with {Hex(span)}.");
        return DecodeWithSkia(file, fileName, format, limits);
    }

    static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    static string? Sniff(ReadOnlySpan<byte> s) =>
        s.Length >= 3 && s[0] == 0xFF && s[1] == 0xD8 && s[2] == 0xFF ? "JPEG"
        : s.Length >= 12 && s[..4].SequenceEqual("RIFF"u8) && s[8..12].SequenceEqual("WEBP"u8) ? "WebP"
        : s.Length >= 6 && (s[..6].SequenceEqual("GIF87a"u8) || s[..6].SequenceEqual("GIF89a"u8)) ? "GIF"
        : s.Length >= 2 && s[0] == (byte)'B' && s[1] == (byte)'M' ? "BMP"
        : null;

    static string Hex(ReadOnlySpan<byte> s) => s.Length == 0 ? "nothing (the file is empty)"
        : string.Join(' ', s[..Math.Min(8, s.Length)].ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    static unsafe Image DecodeWithSkia(ReadOnlyMemory<byte> file, string fileName, string format, ImageLimits limits)
    {
        using var data = SKData.CreateCopy(file.Span);
        using var codec = SKCodec.Create(new SKMemoryStream(data), out var created)   // the codec owns the stream
            ?? throw new ImageFileException(fileName, $"is not a readable {format} file ({Describe(created)}).");
        var info = codec.Info;
        int width = info.Width, height = info.Height;
        if (width < 1 || height < 1 || width > limits.MaxWidth || height > limits.MaxHeight || (long)width * height > limits.MaxPixels)
            throw new ImageFileException(fileName,
                $"{format} of {width}x{height} is outside the limits ({limits.MaxWidth}x{limits.MaxHeight}, {limits.MaxPixels} pixels); raise ImageLimits to read it.");
        bool alpha = info.AlphaType != SKAlphaType.Opaque;
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)width * height * 4];
        SKCodecResult result;
        fixed (byte* pixels = rgba)
            result = codec.GetPixels(target, (IntPtr)pixels);
        if (result != SKCodecResult.Success)
            throw new ImageFileException(fileName, $"{format} data cannot be decoded ({Describe(result)}).");
        var (w, h, upright) = Upright(rgba, width, height, 4, codec.EncodedOrigin);
        var image = Image.FromBytes(w, h, 4, upright);
        return alpha ? image : image.ToRgb8();
    }

    static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "truncated or corrupt data",
        SKCodecResult.InvalidInput => "a damaged header",
        SKCodecResult.Unimplemented => "a variant SkiaSharp does not decode",
        _ => r.ToString(),
    };

    /// <summary>
    /// The pixels as they are meant to be seen: a camera stores its sensor rows and names the turn in EXIF
    /// (TIFF orientation 1–8). Returns the upright width, height and samples.
    /// </summary>
    internal static (int Width, int Height, byte[] Samples) Upright(byte[] src, int w, int h, int c, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft) return (w, h, src);
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),           // mirrored
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y), // turned 180°
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),         // flipped
                    SKEncodedOrigin.LeftTop => (y, x),                    // transposed
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),           // to be turned 90° clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x), // transversed
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),         // to be turned 90° counter-clockwise
                    _ => (x, y),
                };
                Buffer.BlockCopy(src, ((sy * w) + sx) * c, dst, ((y * ow) + x) * c, c);
            }
        return (ow, oh, dst);
    }
}
