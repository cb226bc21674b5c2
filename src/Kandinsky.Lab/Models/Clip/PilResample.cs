namespace Kandinsky.Lab.Models.Clip;

/// <summary>
/// Pillow's 8-bit separable convolution resampler (libImaging/Resample.c semantics) with the bicubic filter
/// (a = -0.5, support 2 scaled by the downscale factor): coefficients computed in double, normalised to sum 1,
/// converted to fixed point with 22 fractional bits (rounded away from zero), accumulated in int from a half
/// (rounding) offset and clipped to 0..255 after each pass. Horizontal pass first (to uint8), then vertical.
/// </summary>
public static class PilResample
{
    const int PrecisionBits = 32 - 8 - 2;
    const double BicubicSupport = 2.0;

    /// <summary>
    /// Resizes an interleaved uint8 image [height, width, channels] to [outHeight, outWidth, channels] as
    /// <c>Image.resize((outWidth, outHeight), Image.BICUBIC)</c> does (box = the whole image, no reducing_gap).
    /// </summary>
    public static byte[] Bicubic(ReadOnlySpan<byte> pixels, int height, int width, int channels, int outHeight, int outWidth)
    {
        if (height <= 0 || width <= 0 || channels <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"PilResample.Bicubic: sizes must be positive, got {height}x{width}x{channels} → {outHeight}x{outWidth}.");
        if (pixels.Length != height * width * channels)
            throw new ArgumentException($"PilResample.Bicubic: {pixels.Length} bytes do not match {height}x{width}x{channels}.");
        byte[] current = pixels.ToArray();
        // Pillow resamples an axis only when its size changes (the box is always the whole image here).
        if (outWidth != width)
        {
            var (bounds, coeffs, ksize) = Coefficients(width, outWidth);
            var next = new byte[height * outWidth * channels];
            for (int y = 0; y < height; y++)
                for (int xx = 0; xx < outWidth; xx++)
                {
                    int xmin = bounds[2 * xx], count = bounds[2 * xx + 1];
                    for (int c = 0; c < channels; c++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int x = 0; x < count; x++) acc += current[(y * width + xmin + x) * channels + c] * coeffs[xx * ksize + x];
                        next[(y * outWidth + xx) * channels + c] = Clip8(acc);
                    }
                }
            current = next;
            width = outWidth;
        }
        if (outHeight != height)
        {
            var (bounds, coeffs, ksize) = Coefficients(height, outHeight);
            var next = new byte[outHeight * width * channels];
            for (int yy = 0; yy < outHeight; yy++)
            {
                int ymin = bounds[2 * yy], count = bounds[2 * yy + 1];
                for (int x = 0; x < width; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int y = 0; y < count; y++) acc += current[((ymin + y) * width + x) * channels + c] * coeffs[yy * ksize + y];
                        next[(yy * width + x) * channels + c] = Clip8(acc);
                    }
            }
            current = next;
        }
        return current;
    }

    static byte Clip8(int acc) => (byte)Math.Clamp(acc >> PrecisionBits, 0, 255);

    static double BicubicFilter(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>
    /// precompute_coeffs + normalize_coeffs_8bpc for one axis: per output index the first input index, the tap count,
    /// and ksize fixed-point weights.
    /// </summary>
    static (int[] Bounds, int[] Coeffs, int KSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)(float)inSize / outSize;   // box edges are floats in Pillow
        double filterScale = Math.Max(scale, 1.0);
        double support = BicubicSupport * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var coeffs = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double ww = 0.0;
            for (int x = 0; x < xmax; x++)
            {
                k[x] = BicubicFilter((x + xmin - center + 0.5) * ss);
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = ww != 0.0 ? k[x] / ww : k[x];
                coeffs[xx * ksize + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, coeffs, ksize);
    }
}
