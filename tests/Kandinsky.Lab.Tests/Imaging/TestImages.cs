using System.Buffers.Binary;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>Image files written byte by byte from their specifications (BMP, GIF, EXIF), for the loader's tests.</summary>
internal static class TestImages
{
    /// <summary>A 24-bit uncompressed BMP (BITMAPINFOHEADER, rows bottom-up, BGR, each row padded to 4 bytes).</summary>
    public static byte[] Bmp(Image rgb)
    {
        int w = rgb.Width, h = rgb.Height, stride = (w * 3 + 3) & ~3;
        var file = new byte[54 + stride * h];
        file[0] = (byte)'B';
        file[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), stride * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < 3; k++)
                    file[54 + (h - 1 - y) * stride + x * 3 + k] = rgb.Bytes![(y * w + x) * 3 + (2 - k)];
        return file;
    }

    /// <summary>
    /// A GIF89a with a 256-entry global palette of the picture's distinct colours (at most 256) and LZW data of
    /// literal codes only (9 bits wide; a clear code every 200 codes keeps the decoder's table from widening them).
    /// </summary>
    public static byte[] Gif(Image rgb)
    {
        int w = rgb.Width, h = rgb.Height;
        var palette = new List<(byte, byte, byte)>();
        var indices = new byte[w * h];
        for (int i = 0; i < w * h; i++)
        {
            var colour = (rgb.Bytes![i * 3], rgb.Bytes[i * 3 + 1], rgb.Bytes[i * 3 + 2]);
            int at = palette.IndexOf(colour);
            if (at < 0) { at = palette.Count; palette.Add(colour); }
            indices[i] = (byte)at;
        }
        var file = new List<byte>();
        file.AddRange("GIF89a"u8.ToArray());
        file.AddRange([(byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0xF7, 0, 0]);
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = i < palette.Count ? palette[i] : ((byte)0, (byte)0, (byte)0);
            file.AddRange([r, g, b]);
        }
        file.AddRange([0x2C, 0, 0, 0, 0, (byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0, 8]);
        const int Clear = 256, End = 257;
        var bits = new List<byte>();
        int buffer = 0, filled = 0;
        void Emit(int code)
        {
            buffer |= code << filled;
            for (filled += 9; filled >= 8; filled -= 8, buffer >>= 8) bits.Add((byte)buffer);
        }
        for (int i = 0; i < indices.Length; i++)
        {
            if (i % 200 == 0) Emit(Clear);
            Emit(indices[i]);
        }
        Emit(End);
        if (filled > 0) bits.Add((byte)buffer);
        for (int at = 0; at < bits.Count; at += 255)
        {
            int n = Math.Min(255, bits.Count - at);
            file.Add((byte)n);
            file.AddRange(bits.GetRange(at, n));
        }
        file.AddRange([0, 0x3B]);
        return [.. file];
    }

    /// <summary>The JPEG with an APP1 Exif segment right after SOI holding one TIFF tag: Orientation (0x0112) = <paramref name="orientation"/>.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff = [(byte)'I', (byte)'I', 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, 0, 0, 0, 0];
        int length = 2 + 6 + tiff.Length;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. "Exif\0\0"u8.ToArray(), .. tiff];
        return [.. jpeg[..2], .. app1, .. jpeg[2..]];
    }

    /// <summary>The JPEG with its frame header (SOF0 or SOF2) claiming another size: the data no longer matches it.</summary>
    public static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        for (int i = 2; i + 9 < copy.Length; i++)
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        throw new ArgumentException("no SOF0/SOF2 frame header in the JPEG");
    }

    /// <summary>One to four byte mutations (flip, overwrite, insert, delete, truncate) of a valid file.</summary>
    public static byte[] Mutate(byte[] original, Random rng, out string what)
    {
        var file = new List<byte>(original);
        var steps = new List<string>();
        for (int n = rng.Next(1, 5); n > 0 && file.Count > 1; n--)
        {
            int at = rng.Next(file.Count);
            switch (rng.Next(5))
            {
                case 0: file[at] ^= (byte)(1 << rng.Next(8)); steps.Add($"flip@{at}"); break;
                case 1: file[at] = (byte)rng.Next(256); steps.Add($"set@{at}"); break;
                case 2: file.Insert(at, (byte)rng.Next(256)); steps.Add($"insert@{at}"); break;
                case 3: file.RemoveAt(at); steps.Add($"delete@{at}"); break;
                default: file.RemoveRange(at, file.Count - at); steps.Add($"truncate@{at}"); break;
            }
        }
        what = string.Join(' ', steps);
        return [.. file];
    }
}
