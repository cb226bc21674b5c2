using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>
/// Reads a Kandinsky-Micro portrait's eye, hair and shirt colours from its pixels, as the data card's reader does:
/// the eyes (and with them the ±2 px position jitter) come from <see cref="EyeColorReader"/>; the hair is the median
/// colour of the top of the hair cap above the eyes, the shirt the median colour of the bottom rows below them, each
/// named as the nearest colour of that attribute's palette (in CIELAB). Works at any size the 64×64 layout is scaled to.
/// </summary>
public sealed class PortraitReader : IAttributeReader
{
    public static readonly PortraitReader Instance = new();

    /// <summary>Reference colours of the cartoon palettes (sRGB), one per value of <see cref="PortraitWorld.Attributes"/>.</summary>
    public static readonly IReadOnlyDictionary<string, (byte R, byte G, byte B)> HairPalette = new Dictionary<string, (byte, byte, byte)>
    {
        ["black"] = (30, 28, 30), ["brown"] = (110, 65, 30), ["blond"] = (240, 210, 120), ["red"] = (220, 70, 40), ["blue"] = (40, 80, 220),
        ["green"] = (40, 160, 60), ["pink"] = (240, 130, 180), ["white"] = (235, 235, 235), ["purple"] = (130, 60, 180),
    };

    public static readonly IReadOnlyDictionary<string, (byte R, byte G, byte B)> ShirtPalette = new Dictionary<string, (byte, byte, byte)>
    {
        ["red"] = (220, 40, 40), ["blue"] = (40, 80, 220), ["green"] = (40, 160, 60), ["yellow"] = (235, 205, 80),
        ["white"] = (240, 240, 240), ["black"] = (30, 30, 30), ["orange"] = (240, 140, 30), ["purple"] = (130, 60, 180),
    };

    public string Name => "pixels";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes => PortraitWorld.Attributes;

    public AttributeReading Read(Image image)
    {
        var eyes = EyeColorReader.Read(image);
        var rgb = image.ToRgb8();
        double s = rgb.Width / 64.0;
        // Where the face is: from the eyes when found (they carry the jitter), else the layout's centre.
        double eyeY = eyes.Found ? (eyes.Left.Y + eyes.Right.Y) / 2.0 : 32 * s, midX = eyes.Found ? (eyes.Left.X + eyes.Right.X) / 2.0 : 32 * s;
        var hair = MedianColor(rgb, eyeY - 13 * s, eyeY - 7 * s, midX - 6 * s, midX + 6 * s);
        var shirt = MedianColor(rgb, eyeY + 26 * s, eyeY + 31 * s, midX - 10 * s, midX + 10 * s);
        return new AttributeReading(new Dictionary<string, string>
        {
            ["eyes"] = eyes.Found ? eyes.Color : AttributeReading.NotFound,
            ["hair"] = hair is { } h ? Nearest(h, HairPalette) : AttributeReading.NotFound,
            ["shirt"] = shirt is { } c ? Nearest(c, ShirtPalette) : AttributeReading.NotFound,
        });
    }

    /// <summary>Per-channel median of the pixels in rows [y0, y1] × columns [x0, x1] clipped to the image; null when nothing is inside.</summary>
    static (byte R, byte G, byte B)? MedianColor(Image rgb, double y0, double y1, double x0, double x1)
    {
        int w = rgb.Width, h = rgb.Height;
        var px = rgb.Bytes!;
        var r = new List<byte>(); var g = new List<byte>(); var b = new List<byte>();
        for (int y = Math.Max(0, (int)Math.Round(y0)); y <= Math.Min(h - 1, (int)Math.Round(y1)); y++)
            for (int x = Math.Max(0, (int)Math.Round(x0)); x <= Math.Min(w - 1, (int)Math.Round(x1)); x++)
            {
                int i = (y * w + x) * 3;
                r.Add(px[i]); g.Add(px[i + 1]); b.Add(px[i + 2]);
            }
        if (r.Count == 0) return null;
        r.Sort(); g.Sort(); b.Sort();
        return (r[r.Count / 2], g[g.Count / 2], b[b.Count / 2]);
    }

    /// <summary>The palette entry nearest to <paramref name="color"/> in CIELAB (ΔE 1976).</summary>
    public static string Nearest((byte R, byte G, byte B) color, IReadOnlyDictionary<string, (byte R, byte G, byte B)> palette)
    {
        var lab = Lab(color);
        return palette.MinBy(p => Distance2(lab, Lab(p.Value))).Key;
    }

    static double Distance2((double L, double A, double B) x, (double L, double A, double B) y) =>
        (x.L - y.L) * (x.L - y.L) + (x.A - y.A) * (x.A - y.A) + (x.B - y.B) * (x.B - y.B);

    /// <summary>sRGB (D65) → CIELAB.</summary>
    static (double L, double A, double B) Lab((byte R, byte G, byte B) c)
    {
        static double Linear(byte v) { double u = v / 255.0; return u <= 0.04045 ? u / 12.92 : Math.Pow((u + 0.055) / 1.055, 2.4); }
        double r = Linear(c.R), g = Linear(c.G), b = Linear(c.B);
        double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, y = 0.2126 * r + 0.7152 * g + 0.0722 * b, z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        static double F(double t) => t > 216.0 / 24389 ? Math.Cbrt(t) : (24389.0 / 27 * t + 16) / 116;
        double fx = F(x), fy = F(y), fz = F(z);
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz));
    }
}
