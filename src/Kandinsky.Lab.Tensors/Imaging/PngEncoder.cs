using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// Writes 8-bit grey, grey + alpha, RGB and RGBA images as non-interlaced PNG: IHDR, IDAT (split into
/// chunks of at most 1 MiB), IEND. Each row gets the filter whose output has the smallest sum of
/// absolute values taken as signed bytes — the heuristic libpng and the PNG specification recommend.
/// </summary>
internal static class PngEncoder
{
    const int MaxIdatLength = 1 << 20;
    static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(Image image, CompressionLevel level)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.BitDepth != 8)
            throw new ArgumentException($"the PNG encoder writes 8-bit images; this one is {image.BitDepth}-bit (convert with ToRgb8 or ToRgba8)", nameof(image));
        byte colorType = image.Channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };

        var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8;
        ihdr[9] = colorType; // compression, filter and interlace methods stay 0
        WriteChunk(output, "IHDR", ihdr);

        byte[] idat = Compress(image, level);
        for (int start = 0; start < idat.Length; start += MaxIdatLength)
            WriteChunk(output, "IDAT", idat.AsSpan(start, Math.Min(MaxIdatLength, idat.Length - start)));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>The zlib stream of filtered scanlines (filter byte + row).</summary>
    static byte[] Compress(Image image, CompressionLevel level)
    {
        int stride = image.Channels, rowBytes = image.Width * stride;
        var pixels = image.Bytes!;
        var zeros = new byte[rowBytes];
        var candidates = new byte[PngFilters.Count][];
        for (int t = 0; t < candidates.Length; t++) candidates[t] = new byte[1 + rowBytes];

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                var row = pixels.AsSpan(y * rowBytes, rowBytes);
                var prior = y == 0 ? zeros : pixels.AsSpan((y - 1) * rowBytes, rowBytes);
                int best = 0;
                long bestCost = long.MaxValue;
                for (int t = 0; t < PngFilters.Count; t++)
                {
                    candidates[t][0] = (byte)t;
                    PngFilters.Filter(t, row, prior, stride, candidates[t].AsSpan(1));
                    long cost = Cost(candidates[t].AsSpan(1));
                    if (cost < bestCost) (best, bestCost) = (t, cost);
                }
                zlib.Write(candidates[best]);
            }
        }
        return compressed.ToArray();
    }

    /// <summary>Sum of |b| with each filtered byte read as signed: small residuals near 0 or 256 both count as small.</summary>
    static long Cost(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte b in filtered) sum += Math.Abs((int)(sbyte)b);
        return sum;
    }

    static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }
}
