using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>The reader's structural rules, each on a hand-built file that breaks exactly one of them.</summary>
public class PngStructureTests
{
    // A 2x2 8-bit grey image: two scanlines, filter 0.
    static readonly byte[] GreyIhdr = PngBuilder.Ihdr(2, 2, 8, 0);
    static readonly byte[] GreyRaw = [0, 10, 20, 0, 30, 40];
    static byte[] Idat => PngBuilder.Zlib(GreyRaw);

    static PngException Rejects(byte[] file, string expected)
    {
        var e = Assert.Throws<PngException>(() => Png.Decode(file, "test.png"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("test.png", e.Message);
        return e;
    }

    [Fact]
    public void BaselineFileDecodes()
    {
        var image = Png.Decode(PngBuilder.Simple(GreyIhdr, GreyRaw));
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, image.Bytes);
        Assert.Equal((2, 2, 1, 8), (image.Width, image.Height, image.Channels, image.BitDepth));
    }

    [Fact]
    public void SplitIdatAndAncillaryChunksDecode()
    {
        var z = Idat;
        var file = new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("tEXt", "Comment\0hi"u8)
            .Chunk("IDAT", z.AsSpan(0, 3)).Chunk("IDAT", []).Chunk("IDAT", z.AsSpan(3)).Chunk("IEND", []).ToArray();
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, Png.Decode(file).Bytes);
        Assert.Equal(["IHDR", "tEXt", "IDAT", "IDAT", "IDAT", "IEND"], Png.ReadInfo(file).Chunks);
    }

    [Fact]
    public void AncillaryCrcIsChecked() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("tEXt", "a\0b"u8, badCrc: true).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(),
            "tEXt chunk at byte 33: CRC mismatch");

    [Fact]
    public void CriticalCrcIsChecked() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr, badCrc: true).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(), "IHDR chunk at byte 8: CRC mismatch");

    [Fact]
    public void IhdrMustComeFirst() =>
        Rejects(new PngBuilder().Chunk("tEXt", "a\0b"u8).Chunk("IHDR", GreyIhdr).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(), "first chunk must be IHDR");

    [Fact]
    public void DuplicateIhdr() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IHDR", GreyIhdr).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(), "duplicate IHDR");

    [Fact]
    public void IdatMustBeConsecutive()
    {
        var z = Idat;
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", z.AsSpan(0, 3)).Chunk("tEXt", "a\0b"u8).Chunk("IDAT", z.AsSpan(3))
            .Chunk("IEND", []).ToArray(), "IDAT chunks must be consecutive, but a tEXt chunk separates them");
    }

    [Fact]
    public void MissingIend() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", Idat).ToArray(), "without IEND");

    [Fact]
    public void MissingIdat() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IEND", []).ToArray(), "no IDAT");

    [Fact]
    public void TrailingBytesAreRejectedUnlessAllowed()
    {
        var file = new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", Idat).Chunk("IEND", []).Raw("junk"u8).ToArray();
        Rejects(file, "4 unexpected bytes after IEND");
        Assert.Equal(new byte[] { 10, 20, 30, 40 }, Png.Decode(file, options: new PngDecoderOptions { AllowTrailingBytes = true }).Bytes);
    }

    [Fact]
    public void ChunkAfterIendIsTrailingData() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", Idat).Chunk("IEND", []).Chunk("tEXt", "a\0b"u8).ToArray(), "after IEND");

    [Fact]
    public void UnknownCriticalChunk() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("ABCD", [1]).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(), "unknown critical chunk");

    [Fact]
    public void UnknownAncillaryChunkIsSkipped() =>
        Assert.Equal(4, Png.Decode(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("abCD", [1]).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray()).Bytes!.Length);

    [Fact]
    public void InvalidChunkTypeBytes() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("ID@T", [1]).ToArray(), "invalid chunk type");

    [Theory]
    [InlineData(12, "truncated chunk header")]
    [InlineData(20, "declares 13 data bytes but only")]
    [InlineData(33, "without IEND")]
    [InlineData(7, "signature")]
    [InlineData(0, "signature")]
    public void TruncatedFile(int length, string expected) =>
        Rejects(PngBuilder.Simple(GreyIhdr, GreyRaw)[..length], expected);

    [Fact]
    public void HugeChunkLength()
    {
        var file = PngBuilder.Simple(GreyIhdr, GreyRaw);
        file[33] = 0x80; // IDAT length field, high byte
        Rejects(file, "exceeds the PNG maximum");
    }

    [Theory]
    [InlineData(0, 3, "bit depth 3 is not allowed for colour type 0")]
    [InlineData(2, 4, "bit depth 4 is not allowed for colour type 2")]
    [InlineData(3, 16, "bit depth 16 is not allowed for colour type 3")]
    [InlineData(4, 1, "bit depth 1 is not allowed for colour type 4")]
    [InlineData(6, 2, "bit depth 2 is not allowed for colour type 6")]
    [InlineData(5, 8, "invalid colour type 5")]
    [InlineData(7, 8, "invalid colour type 7")]
    public void InvalidColourTypeAndDepth(int colorType, int depth, string expected) =>
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 2, depth, colorType), GreyRaw), expected);

    [Theory]
    [InlineData(10, 1, "compression method")]
    [InlineData(11, 1, "filter method")]
    [InlineData(12, 2, "interlace method")]
    public void InvalidMethods(int field, byte value, string expected)
    {
        var ihdr = (byte[])GreyIhdr.Clone();
        ihdr[field] = value;
        Rejects(PngBuilder.Simple(ihdr, GreyRaw), expected);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(2, 0)]
    [InlineData(-1, 2)] // 0xFFFFFFFF
    public void InvalidDimensions(int width, int height) =>
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(width, height, 8, 0), GreyRaw), "invalid size");

    [Fact]
    public void ShortIhdr() =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr.AsSpan(0, 12)).Chunk("IDAT", Idat).Chunk("IEND", []).ToArray(), "IHDR must hold 13 bytes");

    [Fact]
    public void PaletteImageNeedsPlte() =>
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 2, 8, 3), GreyRaw), "needs a PLTE");

    [Fact]
    public void PlteForbiddenForGrey() =>
        Rejects(PngBuilder.Simple(GreyIhdr, GreyRaw, ("PLTE", new byte[6])), "PLTE is not allowed for greyscale");

    [Fact]
    public void PlteAfterIdat() =>
        Rejects(new PngBuilder().Chunk("IHDR", PngBuilder.Ihdr(2, 2, 8, 2)).Chunk("IDAT", PngBuilder.Zlib(new byte[14]))
            .Chunk("PLTE", new byte[6]).Chunk("IEND", []).ToArray(), "PLTE must come before the first IDAT");

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(771)]
    public void PlteLength(int length) =>
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 2, 8, 3), GreyRaw, ("PLTE", new byte[length])), $"PLTE length {length}");

    [Fact]
    public void PaletteTooLargeForDepth() =>
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 2, 1, 3), [0, 0, 0, 0], ("PLTE", new byte[9])), "3 palette entries do not fit bit depth 1");

    [Fact]
    public void PaletteIndexOutOfRange()
    {
        var e = Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 2, 8, 3), [0, 0, 1, 0, 0, 2], ("PLTE", new byte[6])), "pixel (1, 1) uses palette index 2, but PLTE has only 2 entries");
        Assert.Equal("IDAT", e.Chunk);
    }

    [Fact]
    public void PaletteAlphaAndTrnsRules()
    {
        byte[] plte = [255, 0, 0, 0, 255, 0];
        var image = Png.Decode(PngBuilder.Simple(PngBuilder.Ihdr(2, 1, 8, 3), [0, 0, 1], ("PLTE", plte), ("tRNS", new byte[] { 7 })));
        Assert.Equal(new byte[] { 255, 0, 0, 7, 0, 255, 0, 255 }, image.Bytes); // entries past tRNS are opaque
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 1, 8, 3), [0, 0, 1], ("PLTE", plte), ("tRNS", new byte[3])), "3 alpha entries for a 2-entry palette");
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 1, 8, 3), [0, 0, 1], ("tRNS", new byte[1]), ("PLTE", plte)), "tRNS must come after PLTE");
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 1, 8, 6), new byte[9], ("tRNS", new byte[6])), "tRNS is not allowed for colour type 6");
        Rejects(PngBuilder.Simple(PngBuilder.Ihdr(2, 1, 8, 2), new byte[7], ("tRNS", new byte[2])), "must hold 6 bytes");
        Rejects(PngBuilder.Simple(GreyIhdr, GreyRaw, ("tRNS", new byte[2]), ("tRNS", new byte[2])), "duplicate tRNS");
    }

    [Fact]
    public void GreyKeyColourBecomesAlpha()
    {
        var image = Png.Decode(PngBuilder.Simple(GreyIhdr, GreyRaw, ("tRNS", new byte[] { 0, 20 })));
        Assert.Equal((2, 8), (image.Channels, image.BitDepth));
        Assert.Equal(new byte[] { 10, 255, 20, 0, 30, 255, 40, 255 }, image.Bytes);
    }

    [Fact]
    public void BadFilterType() =>
        Rejects(PngBuilder.Simple(GreyIhdr, [0, 10, 20, 5, 30, 40]), "scanline 1 has filter type 5");

    [Fact]
    public void TooLittleImageData() =>
        Rejects(PngBuilder.Simple(GreyIhdr, GreyRaw[..5]), "image data ends after 5 of 6 bytes");

    [Fact]
    public void TooMuchImageData() =>
        Rejects(PngBuilder.Simple(GreyIhdr, [.. GreyRaw, 0]), "inflates to more than the 6 bytes");

    [Fact]
    public void CorruptZlibStream()
    {
        var z = Idat;
        z[^1] ^= 0xFF; // Adler-32 of the stream
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", z).Chunk("IEND", []).ToArray(), "corrupt zlib data");
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", [0x78, 0x01, 0x07, 0]).Chunk("IEND", []).ToArray(), "corrupt zlib data"); // block type 3
    }

    [Theory]
    [InlineData(new byte[] { 0x12, 0x34, 5, 6 }, "does not announce deflate")]
    [InlineData(new byte[] { 0x88, 0x1C, 5, 6 }, "does not announce deflate")] // 64 KiB window
    [InlineData(new byte[] { 0x78, 0x00, 5, 6 }, "fails its check bits")]
    [InlineData(new byte[] { 0x78, 0x20, 5, 6 }, "preset dictionary")]
    [InlineData(new byte[] { 0x78 }, "too few for a zlib header")]
    public void BadZlibHeader(byte[] idat, string expected) =>
        Rejects(new PngBuilder().Chunk("IHDR", GreyIhdr).Chunk("IDAT", idat).Chunk("IEND", []).ToArray(), expected);
}
