namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>Conversions to RGBA16, 8-bit RGB/RGBA and the −1 … 1 tensors the Kandinsky pipelines use.</summary>
public sealed partial class Image
{
    /// <summary>
    /// [H, W, 4] RGBA at 16 bits, the PngSuite reference convention: each sample scaled exactly to the full
    /// range (v · 65535 / (2^depth − 1)), grey replicated to R, G and B, missing alpha opaque (65535).
    /// </summary>
    public ushort[] ToRgba16()
    {
        int scale = ushort.MaxValue / MaxSample; // exact: 2^depth − 1 divides 65535 for depths 1, 2, 4, 8, 16
        var rgba = new ushort[(long)Width * Height * 4];
        for (long p = 0, n = (long)Width * Height; p < n; p++)
        {
            Pixel(p, out int r, out int g, out int b, out int a);
            rgba[4 * p] = (ushort)(r * scale);
            rgba[4 * p + 1] = (ushort)(g * scale);
            rgba[4 * p + 2] = (ushort)(b * scale);
            rgba[4 * p + 3] = (ushort)(a * scale);
        }
        return rgba;
    }

    /// <summary>8-bit RGB: alpha dropped (not composited, like PIL's <c>convert("RGB")</c>), 16-bit samples rounded (v / 257).</summary>
    public Image ToRgb8() => To8Bit(3);

    /// <summary>8-bit RGBA; opaque alpha (255) when the image has none.</summary>
    public Image ToRgba8() => To8Bit(4);

    Image To8Bit(int channels)
    {
        var samples = new byte[(long)Width * Height * channels];
        for (long p = 0, n = (long)Width * Height; p < n; p++)
        {
            Pixel(p, out int r, out int g, out int b, out int a);
            samples[channels * p] = To8(r);
            samples[channels * p + 1] = To8(g);
            samples[channels * p + 2] = To8(b);
            if (channels == 4) samples[channels * p + 3] = To8(a);
        }
        return new Image(Width, Height, channels, 8, samples, null);
    }

    /// <summary>A sample at this image's depth as 8 bits: exact for depths ≤ 8, round(v / 257) for 16.</summary>
    byte To8(int v) => BitDepth switch
    {
        16 => (byte)((v + 128) / 257), // v / 257 is never exactly k + ½, so this is round-to-nearest
        _ => (byte)(v * (255 / MaxSample)),
    };

    /// <summary>Pixel <paramref name="p"/> (row-major) as R, G, B, A at this image's depth.</summary>
    void Pixel(long p, out int r, out int g, out int b, out int a)
    {
        long o = p * Channels;
        if (Channels <= 2)
        {
            r = g = b = this[o];
            a = Channels == 2 ? this[o + 1] : MaxSample;
        }
        else
        {
            r = this[o];
            g = this[o + 1];
            b = this[o + 2];
            a = Channels == 4 ? this[o + 3] : MaxSample;
        }
    }

    /// <summary>
    /// The image as a float32 tensor [1, 3, H, W] in −1 … 1: 8-bit RGB values v → v / 127.5 − 1, as the
    /// Kandinsky pipelines' <c>prepare_image</c> does after <c>convert("RGB")</c> (no resizing here).
    /// </summary>
    public Tensor ToTensor()
    {
        if (3L * Width * Height > int.MaxValue) throw new InvalidOperationException($"{this} is too large for a [1, 3, H, W] tensor");
        var rgb = ToRgb8().Bytes!;
        int plane = Width * Height;
        var tensor = Tensor.Empty(1, 3, Height, Width); // [1, 3, H, W]
        var values = tensor.AsSpan();
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                values[c * plane + p] = rgb[3 * p + c] / 127.5f - 1f; // float32 throughout, as numpy does
        return tensor;
    }

    /// <summary>
    /// An 8-bit RGB image from a tensor [B, 3, H, W] (image <paramref name="index"/>) or [3, H, W] in −1 … 1,
    /// as diffusers' Kandinsky post-processing and <c>numpy_to_pil</c> do: clamp(x · 0.5 + 0.5, 0, 1) · 255
    /// rounded half to even (numpy's round); NaN becomes 0.
    /// </summary>
    public static Image FromTensor(Tensor pixels, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        bool batched = pixels.Rank == 4;
        if (!(batched || pixels.Rank == 3) || pixels.Size(batched ? 1 : 0) != 3)
            throw new ArgumentException($"expected an image tensor [B, 3, H, W] or [3, H, W], got {pixels.ShapeString}", nameof(pixels));
        if (batched && (index < 0 || index >= pixels.Size(0)))
            throw new ArgumentOutOfRangeException(nameof(index), index, $"image index out of range for batch of {pixels.Size(0)} ({pixels.ShapeString})");
        using var image = batched ? pixels.Select(0, index) : pixels.Alias(); // [3, H, W]
        int height = image.Size(1), width = image.Size(2), plane = width * height;
        if (plane == 0) throw new ArgumentException($"image tensor {pixels.ShapeString} has no pixels", nameof(pixels));
        float[] values = image.ToArray();
        var rgb = new byte[3 * (long)plane];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++)
                rgb[3 * p + c] = ToByte(values[c * plane + p]);
        return new Image(width, height, 3, 8, rgb, null);
    }

    static byte ToByte(float x)
    {
        float v = x * 0.5f + 0.5f;
        if (float.IsNaN(v)) return 0;
        v = Math.Clamp(v, 0f, 1f) * 255f;
        return (byte)MathF.Round(v, MidpointRounding.ToEven);
    }
}
