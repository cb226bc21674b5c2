using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>How the img2img and inpainting pipelines turn user images and masks into tensors.</summary>
public static class ImagePreparation
{
    /// <summary>
    /// prepare_image: RGB, bicubic resize to (width, height) with reducing_gap=1 as PIL does (a box reduce first
    /// for downscales of 2× or more), then x / 127.5 − 1 → [1, 3, H, W].
    /// </summary>
    public static Tensor PrepareImage(Image image, int height, int width)
    {
        var rgb = image.ToRgb8();
        var bytes = rgb.Bytes!;
        if (rgb.Height != height || rgb.Width != width)
            bytes = PilResample.Resize(bytes, rgb.Height, rgb.Width, 3, height, width, reducingGap: 1);
        return Image.FromBytes(width, height, 3, bytes).ToTensor();
    }

    /// <summary>
    /// The inpainting mask at latent resolution, [1, 1, h, w]: <paramref name="maskImage"/> ([H, W], 1 = repaint)
    /// binarized at 0.5 and inverted (1 = keep), nearest-resized to the latents, then eroded as prepare_mask does.
    /// </summary>
    public static Tensor PrepareMask(ReadOnlySpan<float> maskImage, int height, int width, int latentHeight, int latentWidth)
    {
        if (maskImage.Length != height * width)
            throw new ArgumentException($"PrepareMask: {maskImage.Length} mask values do not match {height}x{width}.");
        var keep = new float[maskImage.Length];
        for (int i = 0; i < keep.Length; i++) keep[i] = maskImage[i] >= 0.5f ? 0f : 1f;
        using var full = Tensor.FromArray(keep, 1, 1, height, width);
        using var resized = F.Interpolate(full, latentHeight, latentWidth);
        return Erode(resized);
    }

    /// <summary>
    /// prepare_mask: every element that is not 1 clears its neighbours above, left, above-left, below, right and
    /// below-right (not the two anti-diagonal ones), decided on the mask before erosion.
    /// </summary>
    public static Tensor Erode(Tensor mask)
    {
        int h = mask.Size(-2), w = mask.Size(-1);
        var src = mask.ToArray();
        var dst = (float[])src.Clone();
        int planes = src.Length / (h * w);
        ReadOnlySpan<(int Di, int Dj)> neighbours = [(-1, 0), (0, -1), (-1, -1), (1, 0), (0, 1), (1, 1)];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                {
                    if (src[(p * h + i) * w + j] == 1f) continue;
                    foreach (var (di, dj) in neighbours)
                    {
                        int ni = i + di, nj = j + dj;
                        if (ni >= 0 && ni < h && nj >= 0 && nj < w) dst[(p * h + ni) * w + nj] = 0f;
                    }
                }
        return Tensor.FromArray(dst, mask.ShapeArray());
    }

    /// <summary>output_type "np": clamp(x · 0.5 + 0.5, 0, 1) as [B, H, W, C].</summary>
    public static Tensor ToUnitNhwc(Tensor images)
    {
        using var half = F.Mul(images, 0.5f);
        using var shifted = F.Add(half, 0.5f);
        using var clamped = F.Clamp(shifted, 0f, 1f);
        using var nhwc = clamped.Permute(0, 2, 3, 1);
        return nhwc.Contiguous().Clone();
    }
}
