using System.IO.Compression;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>Hostile sizes: limits are checked before allocating, and a decompression bomb is cut off, not inflated.</summary>
public class PngLimitTests
{
    static long AllocatedDuring(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(100_000, 100_000, 8, 0)]
    [InlineData(int.MaxValue, 1, 8, 0)]
    [InlineData(1, int.MaxValue, 16, 6)]
    [InlineData(20_000, 20_000, 16, 6)]
    public void HugeHeaderIsRejectedBeforeAllocating(int width, int height, int depth, int colorType)
    {
        var file = PngBuilder.Simple(PngBuilder.Ihdr(width, height, depth, colorType), new byte[64]);
        long allocated = AllocatedDuring(() =>
        {
            var e = Assert.Throws<PngException>(() => Png.Decode(file, "bomb.png"));
            Assert.Contains("exceeds the decoder limits", e.Message);
            Assert.Equal("IHDR", e.Chunk);
        });
        Assert.True(allocated < 1 << 20, $"rejecting the header allocated {allocated} bytes");
    }

    [Fact]
    public void ReadInfoReportsHugeHeadersWithoutLimits()
    {
        var file = PngBuilder.Simple(PngBuilder.Ihdr(100_000, 100_000, 8, 0), new byte[64]);
        var info = Png.ReadInfo(file);
        Assert.Equal((100_000, 100_000), (info.Width, info.Height));
        Assert.Equal(100_000L * 100_001, info.ImageDataBytes);
        Assert.Throws<PngException>(() => Png.ReadInfo(file, options: PngDecoderOptions.Default));
        var widest = Png.ReadInfo(PngBuilder.Simple(PngBuilder.Ihdr(int.MaxValue, int.MaxValue, 16, 6, interlace: 1), new byte[64]));
        Assert.Equal(long.MaxValue, widest.ImageDataBytes); // 2^31 rows of 2^34 bytes saturate
        var e = Assert.Throws<PngException>(() => Png.Decode(file, options: PngDecoderOptions.Unlimited));
        Assert.Contains("too large to decode", e.Message);
    }

    [Fact]
    public void ImageDataLimitIsConfigurable()
    {
        var file = Png.Encode(Image.FromBytes(64, 64, 4, new byte[64 * 64 * 4]));
        var e = Assert.Throws<PngException>(() => Png.Decode(file, options: new PngDecoderOptions { MaxImageDataBytes = 10_000 }));
        Assert.Contains("needs 16448 bytes of image data, over the limit of 10000", e.Message);
        Assert.Throws<PngException>(() => Png.Decode(file, options: new PngDecoderOptions { MaxWidth = 63 }));
        Assert.Throws<PngException>(() => Png.Decode(file, options: new PngDecoderOptions { MaxPixels = 64 * 63 }));
        Assert.Equal(64, Png.Decode(file, options: new PngDecoderOptions { MaxPixels = 64 * 64 }).Width);
    }

    [Fact]
    public void HeaderWithinLimitsCostsNothingUntilDataArrives()
    {
        // 8192 x 8192 RGBA16 promises 512 MiB of image data; the 20-byte stream delivers almost none of it.
        var file = PngBuilder.Simple(PngBuilder.Ihdr(8192, 8192, 16, 6), new byte[1000]);
        long allocated = AllocatedDuring(() =>
            Assert.Contains("image data ends after 1000 of", Assert.Throws<PngException>(() => Png.Decode(file)).Message));
        Assert.True(allocated < 4 << 20, $"a tiny stream made the decoder allocate {allocated} bytes");
    }

    [Fact]
    public void DecompressionBombIsCutOff()
    {
        const int matches = 1 << 23; // 2^23 copies of 258 bytes: 2.16 GB of zeros from ~13.6 MB
        var zlib = ZerosBomb(matches);
        Assert.True(InflatesAtLeast(zlib, 64 << 20), "the bomb is a valid zlib stream of zeros");
        var file = new PngBuilder().Chunk("IHDR", PngBuilder.Ihdr(1, 1, 8, 0)).Chunk("IDAT", zlib).Chunk("IEND", []).ToArray();
        long allocated = AllocatedDuring(() =>
        {
            var e = Assert.Throws<PngException>(() => Png.Decode(file, "bomb.png"));
            Assert.Contains("inflates to more than the 2 bytes the header implies", e.Message);
        });
        Assert.True(allocated < 1 << 20, $"the bomb made the decoder allocate {allocated} bytes");
    }

    static bool InflatesAtLeast(byte[] zlib, int bytes)
    {
        using var z = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        for (int total = 0; total < bytes;)
        {
            int n = z.Read(buffer);
            if (n == 0 || buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
            total += n;
        }
        return true;
    }

    /// <summary>
    /// A zlib stream written by hand: one fixed-Huffman block holding a literal 0 then <paramref name="matches"/>
    /// back-references (length 258, distance 1), 13 bits each — RFC 1951 §3.2.6.
    /// </summary>
    static byte[] ZerosBomb(int matches)
    {
        var output = new MemoryStream();
        output.Write([0x78, 0x01]); // CMF/FLG: deflate, 32K window, check bits
        ulong bits = 0;
        int count = 0;
        void Put(uint value, int length) // deflate packs bits from the least significant end
        {
            bits |= (ulong)value << count;
            count += length;
            while (count >= 8) { output.WriteByte((byte)bits); bits >>= 8; count -= 8; }
        }
        Put(1, 1);        // BFINAL
        Put(1, 2);        // BTYPE 01: fixed Huffman
        Put(0b00001100, 8); // literal 0: code 00110000, written most significant bit first, i.e. reversed
        for (int i = 0; i < matches; i++)
            Put(0b10100011, 13); // length symbol 285 (code 11000101, reversed) + distance code 0 (5 zero bits)
        Put(0, 7);        // end of block, symbol 256
        if (count > 0) output.WriteByte((byte)bits);
        long total = 1 + 258L * matches;
        uint adler = (uint)(total % 65521) << 16 | 1; // zeros leave a = 1, so b = total mod 65521
        output.Write([(byte)(adler >> 24), (byte)(adler >> 16), (byte)(adler >> 8), (byte)adler]);
        return output.ToArray();
    }
}
