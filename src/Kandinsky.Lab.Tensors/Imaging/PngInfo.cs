namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// What a PNG file declares, read by <see cref="Png.ReadInfo(string, PngDecoderOptions?)"/> after checking its
/// structure (signature, CRCs, chunk order, header values) but without inflating the pixels.
/// </summary>
/// <param name="Channels">Samples per pixel as stored (palette: 1 index).</param>
/// <param name="PaletteSize">PLTE entries, 0 without a PLTE chunk.</param>
/// <param name="HasTransparency">A tRNS chunk is present (key colour or palette alpha).</param>
/// <param name="ImageDataBytes">Size of the inflated IDAT stream the header implies (filter bytes included).</param>
/// <param name="CompressedBytes">Total length of the IDAT chunks.</param>
/// <param name="Chunks">Chunk types in file order.</param>
public sealed record PngInfo(
    int Width,
    int Height,
    PngColorType ColorType,
    int BitDepth,
    bool Interlaced,
    int Channels,
    int PaletteSize,
    bool HasTransparency,
    long ImageDataBytes,
    long CompressedBytes,
    int IdatChunks,
    IReadOnlyList<string> Chunks)
{
    public override string ToString() =>
        $"{Width}x{Height} {ColorType} {BitDepth}-bit{(Interlaced ? " Adam7" : "")}"
        + (PaletteSize > 0 ? $", {PaletteSize}-colour palette" : "")
        + (HasTransparency ? ", tRNS" : "")
        + $", {IdatChunks} IDAT ({CompressedBytes} bytes → {ImageDataBytes})";
}

/// <summary>
/// Limits the decoder enforces before it allocates anything sized by the file, so a hostile header or a
/// "decompression bomb" (a tiny file inflating to gigabytes) is rejected instead of obeyed.
/// </summary>
public sealed record PngDecoderOptions
{
    public static PngDecoderOptions Default { get; } = new();

    /// <summary>No size limits (structure is still checked): what <see cref="Png.ReadInfo(string, PngDecoderOptions?)"/> uses by default.</summary>
    public static PngDecoderOptions Unlimited { get; } =
        new() { MaxWidth = int.MaxValue, MaxHeight = int.MaxValue, MaxPixels = long.MaxValue, MaxImageDataBytes = long.MaxValue };

    public int MaxWidth { get; init; } = 1 << 16;
    public int MaxHeight { get; init; } = 1 << 16;
    /// <summary>Width × height; the default (2^26, e.g. 8192 × 8192) keeps an RGBA16 copy under 512 MiB.</summary>
    public long MaxPixels { get; init; } = 1L << 26;
    /// <summary>Inflated IDAT size the header may imply (filter bytes included).</summary>
    public long MaxImageDataBytes { get; init; } = 1L << 30;
    /// <summary>
    /// Bytes after IEND are an error by default (they usually mean a damaged or concatenated file);
    /// set true to ignore them as libpng does.
    /// </summary>
    public bool AllowTrailingBytes { get; init; }
}
