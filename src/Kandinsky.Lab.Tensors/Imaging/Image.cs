namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// A decoded image: <see cref="Channels"/> samples per pixel (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA) in
/// row-major [H, W, C] order, at <see cref="BitDepth"/> 1, 2, 4, 8 (<see cref="Bytes"/>, one sample per
/// byte, values 0 … 2^depth − 1) or 16 (<see cref="Words"/>). The arrays are shared, not copied.
/// </summary>
public sealed partial class Image
{
    Image(int width, int height, int channels, int bitDepth, byte[]? bytes, ushort[]? words)
    {
        Width = width;
        Height = height;
        Channels = channels;
        BitDepth = bitDepth;
        Bytes = bytes;
        Words = words;
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public int BitDepth { get; }
    /// <summary>The samples when <see cref="BitDepth"/> ≤ 8, else null.</summary>
    public byte[]? Bytes { get; }
    /// <summary>The samples when <see cref="BitDepth"/> is 16, else null.</summary>
    public ushort[]? Words { get; }

    public bool HasAlpha => Channels is 2 or 4;
    public int MaxSample => BitDepth == 16 ? ushort.MaxValue : (1 << BitDepth) - 1;

    /// <summary>Wraps samples of depth 1, 2, 4 or 8 in [H, W, C] order (values checked against the depth).</summary>
    public static Image FromBytes(int width, int height, int channels, byte[] samples, int bitDepth = 8)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (bitDepth is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "byte samples have bit depth 1, 2, 4 or 8 (use FromWords for 16)");
        CheckLayout(width, height, channels, samples.Length);
        if (bitDepth < 8)
        {
            int max = (1 << bitDepth) - 1;
            int bad = Array.FindIndex(samples, s => s > max);
            if (bad >= 0) throw new ArgumentException($"sample {bad} is {samples[bad]}, above the {bitDepth}-bit maximum {max}", nameof(samples));
        }
        return new Image(width, height, channels, bitDepth, samples, null);
    }

    /// <summary>Wraps 16-bit samples in [H, W, C] order.</summary>
    public static Image FromWords(int width, int height, int channels, ushort[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        CheckLayout(width, height, channels, samples.Length);
        return new Image(width, height, channels, 16, null, samples);
    }

    static void CheckLayout(int width, int height, int channels, int length)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be at least 1x1");
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA)");
        if ((long)width * height * channels != length)
            throw new ArgumentException($"{length} samples do not fill [{height}, {width}, {channels}] ({(long)width * height * channels} expected)", "samples");
    }

    /// <summary>Sample <paramref name="index"/> of the [H, W, C] array, whatever the storage.</summary>
    public int this[long index] => Words is not null ? Words[index] : Bytes![index];

    public override string ToString() => $"Image {Width}x{Height}, {Channels} channel(s), {BitDepth}-bit";
}
