namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>The IHDR colour type byte.</summary>
public enum PngColorType : byte
{
    Grayscale = 0,
    Rgb = 2,
    Palette = 3,
    GrayscaleAlpha = 4,
    Rgba = 6,
}
