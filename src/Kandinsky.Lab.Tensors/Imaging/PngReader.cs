using System.Buffers.Binary;
using System.Text;

namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>The chunks of a PNG file after structural validation: what the decoder needs, located in the file.</summary>
internal sealed class PngLayout
{
    public required PngHeader Header { get; init; }
    /// <summary>PLTE as RGB triples, or null.</summary>
    public byte[]? Palette { get; init; }
    /// <summary>Raw tRNS data, or null.</summary>
    public byte[]? Transparency { get; init; }
    /// <summary>(offset, length) of each IDAT chunk's data in the file, in order.</summary>
    public required List<(int Offset, int Length)> Idat { get; init; }
    public required List<string> Chunks { get; init; }

    public int PaletteSize => Palette is null ? 0 : Palette.Length / 3;

    public PngInfo ToInfo()
    {
        long compressed = 0;
        foreach (var (_, length) in Idat) compressed += length;
        return new PngInfo(Header.Width, Header.Height, Header.ColorType, Header.BitDepth, Header.Interlaced,
            Header.Channels, PaletteSize, Transparency is not null, Header.ImageDataBytes, compressed, Idat.Count, Chunks);
    }
}

/// <summary>A chunk by type and file offset, for error messages.</summary>
internal readonly record struct ChunkAt(string Type, int Offset)
{
    public PngException Error(string? fileName, string problem) => new(fileName, Type, problem, Offset);
}

/// <summary>
/// Walks the chunk list and enforces the structure rules: signature, chunk CRCs (critical and ancillary),
/// IHDR first and valid, PLTE before IDAT, tRNS between them, IDAT consecutive, IEND last, no unknown
/// critical chunks, and the size limits — all before any pixel data is inflated.
/// </summary>
internal static class PngReader
{
    static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static PngLayout Read(ReadOnlySpan<byte> file, string? fileName, PngDecoderOptions options)
    {
        CheckSignature(file, fileName);
        PngHeader? header = null;
        byte[]? palette = null, transparency = null;
        var idat = new List<(int, int)>();
        var chunks = new List<string>();
        bool idatEnded = false;
        int pos = Signature.Length;

        while (true)
        {
            if (pos == file.Length)
                throw new PngException(fileName, null,
                    chunks.Count == 0 ? "no chunks after the signature (file truncated?)" : $"file ends after a {chunks[^1]} chunk without IEND (truncated?)");
            if (file.Length - pos < 12)
                throw new PngException(fileName, null, $"truncated chunk header at byte {pos}: {file.Length - pos} bytes left, a chunk needs at least 12");

            uint declared = BinaryPrimitives.ReadUInt32BigEndian(file[pos..]);
            var typeBytes = file.Slice(pos + 4, 4);
            string type = ChunkType(typeBytes, pos, fileName);
            var where = new ChunkAt(type, pos);
            if (declared > int.MaxValue)
                throw where.Error(fileName, $"length {declared} exceeds the PNG maximum 2^31 - 1");
            int length = (int)declared;
            if (length > file.Length - pos - 12)
                throw where.Error(fileName, $"declares {length} data bytes but only {file.Length - pos - 12} remain before the CRC (truncated file?)");
            var data = file.Slice(pos + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(file[(pos + 8 + length)..]);
            uint computed = Crc32.Append(Crc32.Compute(typeBytes), data);
            if (stored != computed)
                throw where.Error(fileName, $"CRC mismatch (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt");

            if (chunks.Count == 0 && type != "IHDR")
                throw where.Error(fileName, "the first chunk must be IHDR");
            if (idat.Count > 0 && type != "IDAT") idatEnded = true;
            chunks.Add(type);
            int dataOffset = pos + 8;
            pos += 12 + length;

            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw where.Error(fileName, "duplicate IHDR");
                    header = ReadHeader(data, fileName, where, options);
                    break;
                case "PLTE":
                    palette = ReadPalette(data, header!.Value, palette, idat.Count > 0, fileName, where);
                    break;
                case "tRNS":
                    transparency = ReadTransparency(data, header!.Value, palette, transparency, idat.Count > 0, fileName, where);
                    break;
                case "IDAT":
                    if (idatEnded) throw where.Error(fileName, $"IDAT chunks must be consecutive, but a {chunks[^2]} chunk separates them");
                    if (header!.Value.ColorType == PngColorType.Palette && palette is null)
                        throw where.Error(fileName, "colour type 3 (palette) needs a PLTE chunk before the image data");
                    idat.Add((dataOffset, length));
                    break;
                case "IEND":
                    if (length != 0) throw where.Error(fileName, $"IEND must be empty, has {length} bytes");
                    if (idat.Count == 0) throw new PngException(fileName, null, "no IDAT chunk: the file holds no image data");
                    if (pos != file.Length && !options.AllowTrailingBytes)
                        throw where.Error(fileName, $"{file.Length - pos} unexpected bytes after IEND (damaged or concatenated file)");
                    return new PngLayout { Header = header!.Value, Palette = palette, Transparency = transparency, Idat = idat, Chunks = chunks };
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                        throw where.Error(fileName, "unknown critical chunk (uppercase first letter): cannot decode safely");
                    break; // ancillary: CRC checked, content ignored (gAMA, sBIT, tEXt …)
            }
        }
    }

    static void CheckSignature(ReadOnlySpan<byte> file, string? fileName)
    {
        if (file.Length >= Signature.Length && file[..Signature.Length].SequenceEqual(Signature)) return;
        var head = file[..Math.Min(file.Length, Signature.Length)];
        throw new PngException(fileName, null,
            $"not a PNG file: signature is [{Convert.ToHexString(head)}], expected [{Convert.ToHexString(Signature)}]");
    }

    static string ChunkType(ReadOnlySpan<byte> bytes, int pos, string? fileName)
    {
        foreach (byte b in bytes)
            if (!(b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z'))
                throw new PngException(fileName, null, $"invalid chunk type bytes [{Convert.ToHexString(bytes)}] at byte {pos} (chunk types are four ASCII letters)");
        return Encoding.ASCII.GetString(bytes);
    }

    static PngHeader ReadHeader(ReadOnlySpan<byte> data, string? fileName, ChunkAt where, PngDecoderOptions options)
    {
        if (data.Length != 13) throw where.Error(fileName, $"IHDR must hold 13 bytes, holds {data.Length}");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data), height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        byte depth = data[8], colorType = data[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw where.Error(fileName, $"invalid size {width}x{height}: each dimension must be 1 … 2^31 - 1");
        var depths = PngHeader.AllowedDepths(colorType)
            ?? throw where.Error(fileName, $"invalid colour type {colorType} (valid: 0, 2, 3, 4, 6)");
        if (Array.IndexOf(depths, (int)depth) < 0)
            throw where.Error(fileName, $"bit depth {depth} is not allowed for colour type {colorType} (allowed: {string.Join(", ", depths)})");
        if (data[10] != 0) throw where.Error(fileName, $"unknown compression method {data[10]} (only 0, zlib, is defined)");
        if (data[11] != 0) throw where.Error(fileName, $"unknown filter method {data[11]} (only 0 is defined)");
        if (data[12] > 1) throw where.Error(fileName, $"unknown interlace method {data[12]} (0 none, 1 Adam7)");

        if (width > options.MaxWidth || height > options.MaxHeight || (long)width * height > options.MaxPixels)
            throw where.Error(fileName,
                $"image size {width}x{height} exceeds the decoder limits (max {options.MaxWidth}x{options.MaxHeight}, {options.MaxPixels} pixels)");
        var header = new PngHeader((int)width, (int)height, depth, (PngColorType)colorType, data[12] == 1);
        long bytes = header.ImageDataBytes;
        if (bytes > options.MaxImageDataBytes)
            throw where.Error(fileName,
                $"{width}x{height} at {header.BitsPerPixel} bits per pixel needs {bytes} bytes of image data, over the limit of {options.MaxImageDataBytes}");
        return header;
    }

    static byte[] ReadPalette(ReadOnlySpan<byte> data, PngHeader header, byte[]? previous, bool afterIdat, string? fileName, ChunkAt where)
    {
        if (previous is not null) throw where.Error(fileName, "duplicate PLTE");
        if (afterIdat) throw where.Error(fileName, "PLTE must come before the first IDAT");
        if (header.ColorType is PngColorType.Grayscale or PngColorType.GrayscaleAlpha)
            throw where.Error(fileName, $"PLTE is not allowed for greyscale colour type {(int)header.ColorType}");
        if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 768)
            throw where.Error(fileName, $"PLTE length {data.Length} is not 3 × (1 … 256) entries");
        int entries = data.Length / 3;
        if (header.ColorType == PngColorType.Palette && entries > 1 << header.BitDepth)
            throw where.Error(fileName, $"{entries} palette entries do not fit bit depth {header.BitDepth} (at most {1 << header.BitDepth})");
        return data.ToArray();
    }

    static byte[] ReadTransparency(ReadOnlySpan<byte> data, PngHeader header, byte[]? palette, byte[]? previous, bool afterIdat,
        string? fileName, ChunkAt where)
    {
        if (previous is not null) throw where.Error(fileName, "duplicate tRNS");
        if (afterIdat) throw where.Error(fileName, "tRNS must come before the first IDAT");
        int expected = header.ColorType switch
        {
            PngColorType.Grayscale => 2,
            PngColorType.Rgb => 6,
            PngColorType.Palette => -1,
            _ => throw where.Error(fileName, $"tRNS is not allowed for colour type {(int)header.ColorType}, which has an alpha channel"),
        };
        if (expected < 0)
        {
            if (palette is null) throw where.Error(fileName, "tRNS must come after PLTE");
            if (data.Length > palette.Length / 3)
                throw where.Error(fileName, $"{data.Length} alpha entries for a {palette.Length / 3}-entry palette");
        }
        else if (data.Length != expected)
            throw where.Error(fileName, $"tRNS for colour type {(int)header.ColorType} must hold {expected} bytes, holds {data.Length}");
        return data.ToArray();
    }
}
