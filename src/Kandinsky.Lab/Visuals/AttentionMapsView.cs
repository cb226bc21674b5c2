using System.Globalization;
using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// Attention maps as HTML: per image, each word's map over the steps laid over the image, the 10 image tokens'
/// maps, and a step × word grid (each word's column on one colour scale, so its rise and fall over the steps shows).
/// </summary>
public static class AttentionMapsView
{
    /// <summary>Images shown, and steps shown in the grid (spread evenly, the last always in).</summary>
    const int MaxImages = 4, MaxGridSteps = 8;

    public static string Render(AttentionMaps maps)
    {
        var sb = new StringBuilder();
        sb.Append($"<p>{Html.Encode(maps.ToString())}. A word's map is the sum of its pieces' maps; each overlay is scaled to its own maximum, and its caption gives the share of all attention the word takes.</p>");
        for (int row = 0; row < Math.Min(maps.Rows, MaxImages); row++)
        {
            var body = new StringBuilder();
            var words = maps.Words[row].Where(w => w.InputPositions.Count > 0).ToList();
            var cells = new List<(float[] Map, string Caption)>();
            foreach (var w in words) cells.Add((maps.Word(row, w), $"{w} {Share(maps.Word(row, w))}"));
            cells.Add((maps.Self(row), $"(the image itself) {Share(maps.Self(row))}"));
            body.Append(Strip("Per word, mean over the steps", maps, row, cells));
            body.Append(Strip("The 10 image tokens", maps, row,
                Enumerable.Range(0, AttentionMaps.ImageTokenCount).Select(i => (maps.ImageToken(row, i), $"image token {i} {Share(maps.ImageToken(row, i))}")).ToList()));
            if (maps.Words[row].Any(w => w.IsTruncated))
                body.Append($"<p style=\"color:#b00\">Truncated at {DecoderPipeline.TextLength} tokens: {Html.Encode(string.Join(", ", maps.Words[row].Where(w => w.IsTruncated).Select(w => w.ToString())))} (partly) left out.</p>");
            body.Append(Grid(maps, row, words));
            sb.Append(Html.Section($"Image {row}: {maps.Labels[row]}", body.ToString()));
        }
        if (maps.Rows > MaxImages) sb.Append($"<p>… and {maps.Rows - MaxImages} more image(s).</p>");
        return Html.Section("Decoder attention maps", sb.ToString());
    }

    /// <summary>The map over the image (bilinear to the image's size, heat over the pixels), scaled to its own maximum.</summary>
    public static Image Overlay(AttentionMaps maps, int row, float[] map)
    {
        var image = maps.Images[row].ToRgb8();
        var heat = HeatImage(maps.Upsample(map, image.Height, image.Width), image.Width, image.Height, Max(map));
        var pixels = image.Bytes!;
        var blended = new byte[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) blended[i] = (byte)(0.45f * pixels[i] + 0.55f * heat.Bytes![i]);
        return Image.FromBytes(image.Width, image.Height, 3, blended);
    }

    /// <summary>The map alone as a heat picture (values divided by <paramref name="max"/>).</summary>
    public static Image Heat(AttentionMaps maps, float[] map, int size, float max) => HeatImage(maps.Upsample(map, size, size), size, size, max);

    static string Strip(string title, AttentionMaps maps, int row, IReadOnlyList<(float[] Map, string Caption)> cells)
    {
        int display = Math.Max(96, Math.Min(160, maps.Images[row].Width));
        var sb = new StringBuilder("<div style=\"display:flex;flex-wrap:wrap;gap:6px\">");
        foreach (var (map, caption) in cells)
            sb.Append("<figure style=\"margin:0;text-align:center;font-size:11px\">")
              .Append(Html.PngImage(Png.Encode(Overlay(maps, row, map)), caption, display, caption))
              .Append("<figcaption>").Append(Html.Encode(caption)).Append("</figcaption></figure>");
        return Html.Section(title, sb.Append("</div>").ToString());
    }

    static string Grid(AttentionMaps maps, int row, IReadOnlyList<Tokenizers.PromptWord> words)
    {
        if (maps.StepCount == 0 || words.Count == 0) return "";
        int shown = Math.Min(MaxGridSteps, maps.StepCount);
        var steps = Enumerable.Range(0, shown).Select(i => shown == 1 ? maps.StepCount - 1 : (int)Math.Round(i * (maps.StepCount - 1) / (double)(shown - 1))).Distinct().ToList();
        var columns = words.Select(w => steps.Select(s => maps.Word(row, w, s)).ToList()).ToList();
        var scale = columns.Select(c => c.Max(Max)).ToList();
        var rows = steps.Select((s, i) => new[] { $"{s} <span style=\"color:#777\">(t = {maps.Timesteps[s]})</span>" }
            .Concat(columns.Select((c, w) => Html.PngImage(Png.Encode(Heat(maps, c[i], 40, scale[w])), $"{words[w]} at step {s}", 40, $"{words[w]}, step {s}: {Share(c[i])}"))));
        return Html.Section("Steps × words (each column on its own scale)", Html.Table(["step", .. words.Select(w => Html.Encode(w.ToString()))], rows));
    }

    static string Share(float[] map) => (map.Average() * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    static float Max(float[] map) => map.Length == 0 ? 0 : map.Max();

    static Image HeatImage(float[] values, int width, int height, float max)
    {
        var bytes = new byte[width * height * 3];
        float inverse = max > 0 ? 1f / max : 0;
        for (int i = 0; i < width * height; i++)
        {
            var (r, g, b) = Colormap(Math.Clamp(values[i] * inverse, 0, 1));
            bytes[3 * i] = r; bytes[3 * i + 1] = g; bytes[3 * i + 2] = b;
        }
        return Image.FromBytes(width, height, 3, bytes);
    }

    /// <summary>A dark-to-bright heat scale (black, purple, red, orange, pale yellow), linear between its stops.</summary>
    internal static (byte, byte, byte) Colormap(float v)
    {
        ReadOnlySpan<float> stops = [0, 0, 0, 4, 0.25f, 80, 18, 123, 0.5f, 188, 55, 84, 0.75f, 249, 142, 9, 1, 252, 255, 164];
        for (int s = 4; s < stops.Length; s += 4)
            if (v <= stops[s])
            {
                float t = (v - stops[s - 4]) / (stops[s] - stops[s - 4]);
                return ((byte)(stops[s - 3] + t * (stops[s + 1] - stops[s - 3])), (byte)(stops[s - 2] + t * (stops[s + 2] - stops[s - 2])), (byte)(stops[s - 1] + t * (stops[s + 3] - stops[s - 1])));
            }
        return (252, 255, 164);
    }
}
