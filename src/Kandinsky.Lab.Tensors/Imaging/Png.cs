using System.IO.Compression;

namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// The PNG codec. Decoding accepts every standard PNG (colour types 0, 2, 3, 4, 6 at all their bit depths,
/// palettes, tRNS, Adam7, all filters, split IDAT) and is strict: any structural fault, CRC mismatch or
/// limit breach is a <see cref="PngException"/> naming the file, the chunk and the problem. Bytes after
/// IEND are rejected unless <see cref="PngDecoderOptions.AllowTrailingBytes"/>. Encoding writes 8-bit images.
/// </summary>
public static class Png
{
    /// <summary>
    /// The header and chunk summary of a PNG file, after validating its structure (pixels are not inflated, so
    /// nothing is allocated by the header's numbers and size limits apply only when <paramref name="options"/> are given).
    /// </summary>
    public static PngInfo ReadInfo(string path, PngDecoderOptions? options = null) =>
        ReadInfo(File.ReadAllBytes(path), path, options);

    /// <inheritdoc cref="ReadInfo(string, PngDecoderOptions?)"/>
    public static PngInfo ReadInfo(ReadOnlySpan<byte> file, string? fileName = null, PngDecoderOptions? options = null) =>
        PngReader.Read(file, fileName, options ?? PngDecoderOptions.Unlimited).ToInfo();

    /// <summary>Reads and decodes a PNG file.</summary>
    public static Image Load(string path, PngDecoderOptions? options = null) =>
        Decode(File.ReadAllBytes(path), path, options);

    /// <summary>
    /// Decodes PNG bytes: palettes become 8-bit RGB(A), a tRNS key colour becomes an alpha channel, other
    /// samples keep their stored depth (see <see cref="Image"/>). <paramref name="fileName"/> is only used in messages.
    /// </summary>
    public static Image Decode(ReadOnlyMemory<byte> file, string? fileName = null, PngDecoderOptions? options = null) =>
        PngDecoder.Decode(file, fileName, options ?? PngDecoderOptions.Default);

    /// <summary>
    /// Encodes an 8-bit image (grey, grey + alpha, RGB or RGBA), choosing each row's filter by the
    /// minimum-sum-of-absolute-differences heuristic.
    /// </summary>
    public static byte[] Encode(Image image, CompressionLevel level = CompressionLevel.Optimal) =>
        PngEncoder.Encode(image, level);

    /// <summary>Encodes <paramref name="image"/> (see <see cref="Encode"/>) into a file.</summary>
    public static void Save(Image image, string path, CompressionLevel level = CompressionLevel.Optimal) =>
        File.WriteAllBytes(path, Encode(image, level));
}
