namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>The validated IHDR fields and the layout they imply.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    /// <summary>Adam7 passes as (x start, y start, x step, y step); a non-interlaced image is the single pass (0, 0, 1, 1).</summary>
    public static readonly (int X, int Y, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    static readonly (int X, int Y, int Dx, int Dy)[] Progressive = [(0, 0, 1, 1)];

    public (int X, int Y, int Dx, int Dy)[] Passes => Interlaced ? Adam7 : Progressive;

    /// <summary>Samples per stored pixel (a palette pixel is one index).</summary>
    public int Channels => ChannelsOf(ColorType);

    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>The filter unit: bytes per complete pixel, at least 1.</summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    /// <summary>Pixels of a pass in one dimension: ceil((size − start) / step), 0 when the pass misses the image.</summary>
    public static int PassSize(int size, int start, int step) => size > start ? (int)(((long)size - start + step - 1) / step) : 0;

    public long RowBytes(int pixels) => ((long)pixels * BitsPerPixel + 7) / 8;

    /// <summary>
    /// Bytes of the inflated IDAT stream: every row of every non-empty pass plus its filter byte; saturates at
    /// <see cref="long.MaxValue"/> (2^31 − 1 rows of 2^34 bytes overflow a long).
    /// </summary>
    public long ImageDataBytes
    {
        get
        {
            Int128 total = 0;
            foreach (var p in Passes)
            {
                int w = PassSize(Width, p.X, p.Dx), h = PassSize(Height, p.Y, p.Dy);
                if (w > 0 && h > 0) total += (Int128)h * (1 + RowBytes(w));
            }
            return total > long.MaxValue ? long.MaxValue : (long)total;
        }
    }

    public static int ChannelsOf(PngColorType type) => type switch
    {
        PngColorType.Grayscale or PngColorType.Palette => 1,
        PngColorType.GrayscaleAlpha => 2,
        PngColorType.Rgb => 3,
        _ => 4,
    };

    /// <summary>Bit depths the PNG specification allows for a colour type (table 11.1).</summary>
    public static int[]? AllowedDepths(byte colorType) => colorType switch
    {
        0 => [1, 2, 4, 8, 16],
        3 => [1, 2, 4, 8],
        2 or 4 or 6 => [8, 16],
        _ => null,
    };
}
