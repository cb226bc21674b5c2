using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>What <see cref="EyeColorReader"/> read from a portrait: where the eyes are and their iris colour.</summary>
public sealed record EyeReading(bool Found, (int Y, int X) Left, (int Y, int X) Right, (byte R, byte G, byte B) Iris, string Color, double Confidence)
{
    public static readonly EyeReading NotFound = new(false, default, default, default, "not found", 0);
}

/// <summary>
/// Reads the eye colour of a Kandinsky-Micro cartoon portrait from its pixels: the two eyes are found as the two best
/// white rings (the eye whites) side by side in the upper face, and the iris colour is the median colour inside the
/// rings (pupil and highlights excluded), named by hue. Works at any size the 64×64 layout is scaled to.
/// </summary>
public static class EyeColorReader
{
    /// <summary>Hue-based names for the portrait world's eye colours.</summary>
    public static readonly string[] Colors = ["blue", "green", "red", "purple", "brown", "gray"];

    public static EyeReading Read(Image image)
    {
        var rgb = image.ToRgb8();
        int w = rgb.Width, h = rgb.Height;
        var px = rgb.Bytes!;
        double scale = w / 64.0;
        double rInner = 2.5 * scale, rRingLo = 3.4 * scale, rRingHi = 4.9 * scale;
        bool White(int y, int x)
        {
            if ((uint)y >= (uint)h || (uint)x >= (uint)w) return false;
            int i = (y * w + x) * 3;
            int mn = Math.Min(px[i], Math.Min(px[i + 1], px[i + 2])), mx = Math.Max(px[i], Math.Max(px[i + 1], px[i + 2]));
            return mn > 170 && mx - mn < 60;
        }
        // Ring score: share of white pixels on the ring minus share of white pixels inside (an eye's inside is coloured).
        int y0 = (int)(h * 0.3), y1 = (int)(h * 0.7), x0 = (int)(w * 0.15), x1 = (int)(w * 0.85);
        var score = new double[h, w];
        int ring = (int)Math.Ceiling(rRingHi);
        for (int cy = y0; cy < y1; cy++)
            for (int cx = x0; cx < x1; cx++)
            {
                int onRing = 0, ringTotal = 0, inside = 0, insideTotal = 0;
                for (int dy = -ring; dy <= ring; dy++)
                    for (int dx = -ring; dx <= ring; dx++)
                    {
                        double d = Math.Sqrt(dy * dy + dx * dx);
                        if (d >= rRingLo && d <= rRingHi) { ringTotal++; if (White(cy + dy, cx + dx)) onRing++; }
                        else if (d <= rInner) { insideTotal++; if (White(cy + dy, cx + dx)) inside++; }
                    }
                score[cy, cx] = (double)onRing / ringTotal - (double)inside / insideTotal;
            }
        // The two eyes sit side by side about 14 px apart (at 64 px) around the face's middle.
        (double Score, int Y, int Lx, int Rx) best = (double.MinValue, 0, 0, 0);
        for (int cy = y0; cy < y1; cy++)
            for (int lx = x0; lx < x1; lx++)
                for (int sep = (int)(11 * scale); sep <= (int)(17 * scale); sep++)
                {
                    int rx = lx + sep;
                    if (rx >= x1) break;
                    double mid = (lx + rx) / 2.0;
                    if (mid < 0.4 * w || mid > 0.6 * w) continue;
                    for (int ry = Math.Max(y0, cy - 1); ry <= Math.Min(y1 - 1, cy + 1); ry++)
                    {
                        double pair = Math.Min(score[cy, lx], score[ry, rx]);
                        if (pair > best.Score) best = (pair, cy, lx, rx);
                    }
                }
        if (best.Score < 0.3) return EyeReading.NotFound;
        var left = (Y: best.Y, X: best.Lx);
        var right = (Y: best.Y, X: best.Rx);
        var iris = new List<(byte R, byte G, byte B)>();
        foreach (var eye in new[] { left, right })
            for (int dy = -(int)rInner; dy <= (int)rInner; dy++)
                for (int dx = -(int)rInner; dx <= (int)rInner; dx++)
                {
                    int y = eye.Y + dy, x = eye.X + dx;
                    if (dy * dy + dx * dx > rInner * rInner || (uint)y >= (uint)h || (uint)x >= (uint)w || White(y, x)) continue;
                    int i = (y * w + x) * 3;
                    if (Math.Max(px[i], Math.Max(px[i + 1], px[i + 2])) < 45) continue;   // the pupil
                    iris.Add((px[i], px[i + 1], px[i + 2]));
                }
        if (iris.Count < 4) return EyeReading.NotFound;
        var median = (Median(iris.Select(c => c.R)), Median(iris.Select(c => c.G)), Median(iris.Select(c => c.B)));
        return new EyeReading(true, (left.Y, left.X), (right.Y, right.X), median, Name(median), best.Score);
    }

    /// <summary>Names an iris colour by hue, saturation and value.</summary>
    public static string Name((byte R, byte G, byte B) c)
    {
        double r = c.R / 255.0, g = c.G / 255.0, b = c.B / 255.0;
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), delta = max - min;
        double saturation = max == 0 ? 0 : delta / max;
        if (saturation < 0.22 || delta < 0.1) return "gray";
        double hue = max == r ? 60 * (((g - b) / delta + 6) % 6) : max == g ? 60 * ((b - r) / delta + 2) : 60 * ((r - g) / delta + 4);
        if (hue < 15 || hue >= 335) return max < 0.45 ? "brown" : "red";
        if (hue < 50) return "brown";
        if (hue < 170) return "green";
        if (hue < 255) return "blue";
        return "purple";
    }

    static byte Median(IEnumerable<byte> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
