using System.Buffers.Binary;
using System.IO.Compression;

namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// Inflates, unfilters and de-interlaces the image data of a validated <see cref="PngLayout"/> into an
/// <see cref="Image"/>: palettes expanded to 8-bit RGB, tRNS turned into an alpha channel, other samples
/// kept at their stored depth.
/// </summary>
internal static class PngDecoder
{
    public static Image Decode(ReadOnlyMemory<byte> file, string? fileName, PngDecoderOptions options)
    {
        var layout = PngReader.Read(file.Span, fileName, options);
        var header = layout.Header;
        int channels = OutputChannels(layout);
        long samples = (long)header.Width * header.Height * channels;
        if (samples > Array.MaxLength || header.ImageDataBytes > Array.MaxLength)
            throw new PngException(fileName, "IHDR", $"{header.Width}x{header.Height} with {channels} channels is too large to decode into one array");
        byte[] data = Inflate(file, layout, fileName);

        // The output may be larger than the inflated data (1-bit palette → RGBA is 32×), but the data is
        // complete at this point and the size is within the limits checked with the header.
        bool sixteen = header.BitDepth == 16;
        var bytes = sixteen ? null : new byte[samples];
        var words = sixteen ? new ushort[samples] : null;
        var sink = new PixelSink(layout, channels, bytes, words, fileName);

        var prior = new byte[header.RowBytes(header.Width)];
        int stride = header.FilterStride, offset = 0;
        for (int pass = 0; pass < header.Passes.Length; pass++)
        {
            var p = header.Passes[pass];
            int w = PngHeader.PassSize(header.Width, p.X, p.Dx), h = PngHeader.PassSize(header.Height, p.Y, p.Dy);
            if (w == 0 || h == 0) continue;
            int rowBytes = (int)header.RowBytes(w);
            prior.AsSpan(0, rowBytes).Clear();
            ReadOnlySpan<byte> previous = prior.AsSpan(0, rowBytes);
            for (int r = 0; r < h; r++)
            {
                int filter = data[offset];
                var row = data.AsSpan(offset + 1, rowBytes);
                if (!PngFilters.TryUnfilter(filter, row, previous, stride))
                    throw new PngException(fileName, "IDAT",
                        $"scanline {r}{(header.Interlaced ? $" of Adam7 pass {pass + 1}" : "")} has filter type {filter} (valid: 0 … 4)");
                sink.WriteRow(row, p.Y + r * p.Dy, p.X, p.Dx, w);
                previous = row;
                offset += 1 + rowBytes;
            }
        }
        int outDepth = header.ColorType == PngColorType.Palette ? 8 : header.BitDepth;
        return sixteen ? Image.FromWords(header.Width, header.Height, channels, words!)
                       : Image.FromBytes(header.Width, header.Height, channels, bytes!, outDepth);
    }

    /// <summary>Palette → RGB(A); a tRNS key colour adds an alpha channel to grey and RGB.</summary>
    static int OutputChannels(PngLayout layout) => layout.Header.ColorType switch
    {
        PngColorType.Palette => layout.Transparency is null ? 3 : 4,
        PngColorType.Grayscale => layout.Transparency is null ? 1 : 2,
        PngColorType.Rgb => layout.Transparency is null ? 3 : 4,
        var t => PngHeader.ChannelsOf(t),
    };

    /// <summary>
    /// Inflates the concatenated IDAT data into exactly the size the header implies. The buffer grows with
    /// the data actually produced (a header promising gigabytes costs nothing until the data arrives), and
    /// inflation stops one byte past the expected size, so a decompression bomb is rejected, not obeyed.
    /// </summary>
    static byte[] Inflate(ReadOnlyMemory<byte> file, PngLayout layout, string? fileName)
    {
        long expected = layout.Header.ImageDataBytes; // ≤ Array.MaxLength, checked by Decode
        CheckZlibHeader(new ChunkConcatStream(file, layout.Idat), fileName);
        var buffer = new byte[(int)Math.Min(expected, 1 << 16)];
        int filled = 0;
        try
        {
            using var zlib = new ZLibStream(new ChunkConcatStream(file, layout.Idat), CompressionMode.Decompress);
            while (filled < expected)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(expected, 2L * buffer.Length));
                int n = zlib.Read(buffer, filled, buffer.Length - filled);
                if (n == 0) break;
                filled += n;
            }
            if (filled < expected)
                throw new PngException(fileName, "IDAT", $"image data ends after {filled} of {expected} bytes (truncated or corrupt)");
            Span<byte> probe = stackalloc byte[1];
            if (zlib.Read(probe) > 0)
                throw new PngException(fileName, "IDAT", $"the zlib stream inflates to more than the {expected} bytes the header implies");
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: ZLibException from the native inflater
        {
            throw new PngException(fileName, "IDAT", $"corrupt zlib data after {filled} inflated bytes: {e.Message}", inner: e);
        }
        return buffer;
    }

    /// <summary>RFC 1950 header as PNG requires it: deflate, window ≤ 32 KiB, valid check bits, no preset dictionary.</summary>
    static void CheckZlibHeader(Stream idat, string? fileName)
    {
        Span<byte> header = stackalloc byte[2];
        int n = idat.Read(header);
        if (n == 1) n += idat.Read(header[1..]);
        if (n < 2) throw new PngException(fileName, "IDAT", $"the image data holds {n} byte(s), too few for a zlib header");
        int cmf = header[0], flg = header[1];
        if ((cmf & 0x0F) != 8 || cmf >> 4 > 7)
            throw new PngException(fileName, "IDAT", $"zlib header 0x{cmf:X2}{flg:X2} does not announce deflate with a window of at most 32 KiB");
        if ((cmf << 8 | flg) % 31 != 0)
            throw new PngException(fileName, "IDAT", $"zlib header 0x{cmf:X2}{flg:X2} fails its check bits");
        if ((flg & 0x20) != 0)
            throw new PngException(fileName, "IDAT", "the zlib stream asks for a preset dictionary, which PNG does not allow");
    }

    /// <summary>Writes unfiltered scanlines into the output samples, expanding palettes and applying tRNS.</summary>
    sealed class PixelSink(PngLayout layout, int channels, byte[]? bytes, ushort[]? words, string? fileName)
    {
        readonly PngHeader _h = layout.Header;
        readonly int _inChannels = layout.Header.Channels;
        readonly int _max = (1 << layout.Header.BitDepth) - 1;
        readonly int[]? _key = TransparentKey(layout);

        static int[]? TransparentKey(PngLayout layout)
        {
            var t = layout.Transparency;
            if (t is null || layout.Header.ColorType == PngColorType.Palette) return null;
            var key = new int[t.Length / 2];
            for (int c = 0; c < key.Length; c++) key[c] = BinaryPrimitives.ReadUInt16BigEndian(t.AsSpan(2 * c));
            return key;
        }

        public void WriteRow(ReadOnlySpan<byte> row, int y, int x0, int dx, int count)
        {
            int depth = _h.BitDepth;
            if (depth == 8 && dx == 1 && _key is null && _h.ColorType != PngColorType.Palette)
            {
                row[..(count * _inChannels)].CopyTo(bytes.AsSpan((int)(((long)y * _h.Width + x0) * channels))); // contiguous pixels, stored as is
                return;
            }
            for (int i = 0; i < count; i++)
            {
                long o = ((long)y * _h.Width + x0 + (long)i * dx) * channels;
                if (_h.ColorType == PngColorType.Palette)
                {
                    WritePaletteEntry(Sample(row, i, depth), o, y, x0 + i * dx);
                    continue;
                }
                bool transparent = _key is not null;
                for (int c = 0; c < _inChannels; c++)
                {
                    int v = Sample(row, i * _inChannels + c, depth);
                    if (_key is not null && v != _key[c]) transparent = false;
                    Put(o + c, v);
                }
                if (_key is not null) Put(o + _inChannels, transparent ? 0 : _max);
            }
        }

        void WritePaletteEntry(int index, long o, int y, int x)
        {
            var palette = layout.Palette!;
            if (index >= palette.Length / 3)
                throw new PngException(fileName, "IDAT", $"pixel ({x}, {y}) uses palette index {index}, but PLTE has only {palette.Length / 3} entries");
            bytes![o] = palette[3 * index];
            bytes[o + 1] = palette[3 * index + 1];
            bytes[o + 2] = palette[3 * index + 2];
            var alpha = layout.Transparency;
            if (alpha is not null) bytes[o + 3] = index < alpha.Length ? alpha[index] : (byte)255;
        }

        void Put(long o, int v)
        {
            if (words is not null) words[o] = (ushort)v;
            else bytes![o] = (byte)v;
        }

        /// <summary>Sample <paramref name="index"/> of a scanline: big-endian 16-bit, a byte, or packed bits from the high end.</summary>
        static int Sample(ReadOnlySpan<byte> row, int index, int depth) => depth switch
        {
            16 => row[2 * index] << 8 | row[2 * index + 1],
            8 => row[index],
            _ => row[(int)((long)index * depth >> 3)] >> (8 - depth - (int)((long)index * depth & 7)) & ((1 << depth) - 1),
        };
    }

    /// <summary>A read-only stream over the data of the IDAT chunks in order, without copying them.</summary>
    sealed class ChunkConcatStream(ReadOnlyMemory<byte> file, List<(int Offset, int Length)> segments) : Stream
    {
        int _segment, _within;

        public override int Read(Span<byte> destination)
        {
            while (_segment < segments.Count && _within == segments[_segment].Length) { _segment++; _within = 0; }
            if (_segment == segments.Count || destination.Length == 0) return 0;
            var (offset, length) = segments[_segment];
            int n = Math.Min(destination.Length, length - _within);
            file.Span.Slice(offset + _within, n).CopyTo(destination);
            _within += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
