namespace Kandinsky.Lab.Models.Clip;

/// <summary>
/// Pillow's uint8 resampling (libImaging/Resample.c and Reduce.c semantics) for interleaved [height, width, channels]
/// images, bicubic filter (a = -0.5, support 2 scaled by the downscale factor):
/// <list type="bullet">
/// <item>coefficients in double, normalised to sum 1, converted to fixed point with 22 fractional bits (rounded away
/// from zero), accumulated in int from a half (rounding) offset and clipped to 0..255 after each pass;
/// horizontal pass first (to uint8), then vertical; an axis is resampled only when Pillow would;</item>
/// <item><c>reducing_gap</c> (as <c>Image.resize</c>): first an integer box-average <c>reduce()</c> of a safe box,
/// then the bicubic pass over the remaining fractional box.</item>
/// </list>
/// </summary>
public static class PilResample
{
    const int PrecisionBits = 32 - 8 - 2;
    const double BicubicSupport = 2.0;

    /// <summary><c>Image.resize((outWidth, outHeight), Image.BICUBIC)</c> (whole image, no reducing_gap).</summary>
    public static byte[] Bicubic(ReadOnlySpan<byte> pixels, int height, int width, int channels, int outHeight, int outWidth) =>
        Resize(pixels, height, width, channels, outHeight, outWidth, reducingGap: null);

    /// <summary>
    /// <c>Image.resize((outWidth, outHeight), Image.BICUBIC, reducing_gap=reducingGap)</c> of a whole image
    /// (the Kandinsky img2img pipeline uses reducing_gap 1).
    /// </summary>
    public static byte[] Resize(ReadOnlySpan<byte> pixels, int height, int width, int channels, int outHeight, int outWidth, double? reducingGap)
    {
        if (height <= 0 || width <= 0 || channels <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"PilResample: sizes must be positive, got {height}x{width}x{channels} → {outHeight}x{outWidth}.");
        if (pixels.Length != height * width * channels)
            throw new ArgumentException($"PilResample: {pixels.Length} bytes do not match {height}x{width}x{channels}.");
        if (reducingGap is <= 0)
            throw new ArgumentOutOfRangeException(nameof(reducingGap), $"PilResample: reducing_gap is {reducingGap}, expected a positive value or null.");
        var image = new Image(pixels.ToArray(), height, width, channels);
        if (outHeight == height && outWidth == width) return image.Pixels;

        // box = (x0, y0, x1, y1) in source pixels, as Python floats
        double bx0 = 0, by0 = 0, bx1 = width, by1 = height;
        if (reducingGap is double gap)
        {
            int factorX = Math.Max((int)(width / (double)outWidth / gap), 1);
            int factorY = Math.Max((int)(height / (double)outHeight / gap), 1);
            if (factorX > 1 || factorY > 1)
            {
                // _get_safe_box: widen the box by the filter support (2 - 0.5) scaled to source pixels
                double supportX = (BicubicSupport - 0.5) * (bx1 - bx0) / outWidth, supportY = (BicubicSupport - 0.5) * (by1 - by0) / outHeight;
                int rx0 = Math.Max(0, (int)(bx0 - supportX)), ry0 = Math.Max(0, (int)(by0 - supportY));
                int rx1 = Math.Min(width, (int)Math.Ceiling(bx1 + supportX)), ry1 = Math.Min(height, (int)Math.Ceiling(by1 + supportY));
                image = Reduce(image, factorX, factorY, rx0, ry0, rx1 - rx0, ry1 - ry0);
                (bx0, by0, bx1, by1) = ((bx0 - rx0) / factorX, (by0 - ry0) / factorY, (bx1 - rx0) / factorX, (by1 - ry0) / factorY);
            }
        }
        return ResampleBox(image, outHeight, outWidth, (float)bx0, (float)by0, (float)bx1, (float)by1).Pixels;
    }

    sealed record Image(byte[] Pixels, int Height, int Width, int Channels);

    /// <summary>ImagingResampleInner: horizontal pass (when needed) to uint8, then vertical pass (when needed).</summary>
    static Image ResampleBox(Image image, int outHeight, int outWidth, float x0, float y0, float x1, float y1)
    {
        bool needHorizontal = outWidth != image.Width || x0 != 0 || x1 != outWidth;
        bool needVertical = outHeight != image.Height || y0 != 0 || y1 != outHeight;
        int c = image.Channels;
        if (needHorizontal)
        {
            var (bounds, coeffs, ksize) = Coefficients(image.Width, x0, x1, outWidth);
            var next = new byte[image.Height * outWidth * c];
            for (int y = 0; y < image.Height; y++)
                for (int xx = 0; xx < outWidth; xx++)
                {
                    int xmin = bounds[2 * xx], count = bounds[2 * xx + 1];
                    for (int ch = 0; ch < c; ch++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int x = 0; x < count; x++) acc += image.Pixels[(y * image.Width + xmin + x) * c + ch] * coeffs[xx * ksize + x];
                        next[(y * outWidth + xx) * c + ch] = Clip8(acc);
                    }
                }
            image = new Image(next, image.Height, outWidth, c);
        }
        if (needVertical)
        {
            var (bounds, coeffs, ksize) = Coefficients(image.Height, y0, y1, outHeight);
            var next = new byte[outHeight * image.Width * c];
            for (int yy = 0; yy < outHeight; yy++)
            {
                int ymin = bounds[2 * yy], count = bounds[2 * yy + 1];
                for (int x = 0; x < image.Width; x++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int acc = 1 << (PrecisionBits - 1);
                        for (int y = 0; y < count; y++) acc += image.Pixels[((ymin + y) * image.Width + x) * c + ch] * coeffs[yy * ksize + y];
                        next[(yy * image.Width + x) * c + ch] = Clip8(acc);
                    }
            }
            image = new Image(next, outHeight, image.Width, c);
        }
        return image;
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
    /// precompute_coeffs + normalize_coeffs_8bpc for one axis over the source interval [in0, in1): per output index the
    /// first input index and the tap count, and ksize fixed-point weights.
    /// </summary>
    static (int[] Bounds, int[] Coeffs, int KSize) Coefficients(int inSize, float in0, float in1, int outSize)
    {
        double scale = (double)(in1 - in0) / outSize;   // the box edges are C floats
        double filterScale = Math.Max(scale, 1.0);
        double support = BicubicSupport * filterScale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var coeffs = new int[outSize * ksize];
        var k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = in0 + (xx + 0.5) * scale;
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

    /// <summary>
    /// ImagingReduce over the box (left, top, boxWidth, boxHeight): each output pixel is the rounded mean of its
    /// xscale x yscale block (partial blocks at the right / bottom edge average what they cover), computed as
    /// ((sum + n / 2) · multiplier) &gt;&gt; 24 with multiplier = (uint)(2³² / (256 · n)) in single precision.
    /// </summary>
    static Image Reduce(Image image, int xscale, int yscale, int left, int top, int boxWidth, int boxHeight)
    {
        int outW = (boxWidth + xscale - 1) / xscale, outH = (boxHeight + yscale - 1) / yscale, c = image.Channels;
        var output = new byte[outH * outW * c];
        for (int y = 0; y < outH; y++)
        {
            int yFrom = top + y * yscale, yTo = Math.Min(yFrom + yscale, top + boxHeight);
            for (int x = 0; x < outW; x++)
            {
                int xFrom = left + x * xscale, xTo = Math.Min(xFrom + xscale, left + boxWidth);
                uint n = (uint)((yTo - yFrom) * (xTo - xFrom));
                uint multiplier = (uint)(4294967296f / (256u * n));
                for (int ch = 0; ch < c; ch++)
                {
                    uint sum = n / 2;
                    for (int yy = yFrom; yy < yTo; yy++)
                        for (int xx = xFrom; xx < xTo; xx++) sum += image.Pixels[(yy * image.Width + xx) * c + ch];
                    output[(y * outW + x) * c + ch] = (byte)((sum * multiplier) >> 24);
                }
            }
        }
        return new Image(output, outH, outW, c);
    }
}
