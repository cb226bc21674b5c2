using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// A cheap picture of latents without running MoVQ: the first three latent channels as R, G, B, each standardised
/// over the image and squashed to 0…255, upscaled by the MoVQ factor so it sits beside the decoded image.
/// </summary>
public static class LatentPreview
{
    /// <summary><paramref name="latents"/> [B, C ≥ 3, h, w]; row <paramref name="index"/> → an RGB image (h·scale)×(w·scale).</summary>
    public static Image Render(Tensor latents, int index, int scale)
    {
        using var row = latents.Select(0, index);                 // [C, h, w]
        int h = row.Size(1), w = row.Size(2), plane = h * w;
        var values = row.ToArray();
        var rgb = new byte[plane * 3 * scale * scale];
        for (int c = 0; c < 3; c++)
        {
            var ch = values.AsSpan(Math.Min(c, row.Size(0) - 1) * plane, plane);
            double mean = 0, sq = 0;
            foreach (var v in ch) { mean += v; sq += (double)v * v; }
            mean /= plane;
            double std = Math.Sqrt(Math.Max(sq / plane - mean * mean, 1e-12));
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++)
                {
                    double z = (ch[(y / scale) * w + x / scale] - mean) / std;
                    rgb[(y * w * scale + x) * 3 + c] = (byte)Math.Round(255 / (1 + Math.Exp(-1.5 * z)));
                }
        }
        return Image.FromBytes(w * scale, h * scale, 3, rgb);
    }
}
