using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>Assembles PNG files chunk by chunk (with correct CRCs unless told otherwise) to exercise the reader's rules.</summary>
internal sealed class PngBuilder
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    readonly MemoryStream _file = new();

    public PngBuilder() => _file.Write(Signature);

    public static byte[] Ihdr(int width, int height, int bitDepth, int colorType, int interlace = 0)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(data, width);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), height);
        data[8] = (byte)bitDepth;
        data[9] = (byte)colorType;
        data[12] = (byte)interlace;
        return data;
    }

    public static byte[] Zlib(ReadOnlySpan<byte> raw, CompressionLevel level = CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, level, leaveOpen: true)) z.Write(raw);
        return output.ToArray();
    }

    public PngBuilder Chunk(string type, ReadOnlySpan<byte> data, bool badCrc = false)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        _file.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        _file.Write(typeBytes);
        _file.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data) ^ (badCrc ? 1u : 0u));
        _file.Write(word);
        return this;
    }

    public PngBuilder Raw(ReadOnlySpan<byte> bytes)
    {
        _file.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _file.ToArray();

    /// <summary>A valid file: IHDR, the given chunks before the data, one IDAT of <paramref name="raw"/> (filtered scanlines), IEND.</summary>
    public static byte[] Simple(byte[] ihdr, byte[] raw, params (string Type, byte[] Data)[] beforeData)
    {
        var b = new PngBuilder().Chunk("IHDR", ihdr);
        foreach (var (type, data) in beforeData) b.Chunk(type, data);
        return b.Chunk("IDAT", Zlib(raw)).Chunk("IEND", []).ToArray();
    }
}
