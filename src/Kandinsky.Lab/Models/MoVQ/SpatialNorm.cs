using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.MoVQ;

/// <summary>
/// diffusers <c>SpatialNorm</c> (MoVQ): <c>norm_layer(f) * conv_y(zq') + conv_b(zq')</c>, where zq' is the decoder's
/// latent nearest-resized to f's size and norm_layer is a GroupNorm with 32 groups and eps 1e-6 whatever the
/// model's norm_num_groups.
/// </summary>
public sealed class SpatialNorm : Module
{
    /// <summary>SpatialNorm's GroupNorm always has 32 groups (diffusers hard-codes it).</summary>
    public const int Groups = 32;
    const float Eps = 1e-6f;

    public SpatialNorm(WeightCursor w, int fChannels, int zqChannels)
    {
        NormLayer = Own(new GroupNorm(w.Push("norm_layer"), Groups, fChannels, Eps));
        ConvY = Own(new Conv2d(w.Push("conv_y"), zqChannels, fChannels, 1));
        ConvB = Own(new Conv2d(w.Push("conv_b"), zqChannels, fChannels, 1));
    }

    public GroupNorm NormLayer { get; }
    public Conv2d ConvY { get; }
    public Conv2d ConvB { get; }

    /// <summary>f [B, C, H, W], zq [B, Czq, h, w] → [B, C, H, W].</summary>
    public Tensor Forward(Tensor f, Tensor zq)
    {
        if (f.Rank != 4 || zq.Rank != 4 || f.Size(0) != zq.Size(0) || f.Size(1) != NormLayer.Channels)
            throw new ArgumentException($"SpatialNorm: expected f [B, {NormLayer.Channels}, H, W] and zq [B, {ConvY.InChannels}, h, w], got {f.ShapeString} and {zq.ShapeString}.");
        // A 1×1 convolution commutes with nearest resizing (both act per pixel), so convolve the small latent and
        // read it through the resize index maps: the same values without full-size copies of zq.
        using var y = ConvY.Forward(zq);                                             // [B, C, h, w]
        using var b = ConvB.Forward(zq);
        var normed = NormLayer.Forward(f);                                           // [B, C, H, W]
        ModulateInPlace(normed, y, b);
        return normed;
    }

    /// <summary>f ← f · y' + b' with y', b' the nearest resizes of y, b to f's size (torch: src = floor(dst · in/out)).</summary>
    static unsafe void ModulateInPlace(Tensor f, Tensor y, Tensor b)
    {
        int planes = f.Size(0) * f.Size(1), height = f.Size(2), width = f.Size(3), h = y.Size(2), w = y.Size(3);
        var rows = NearestSources(height, h);
        var cols = NearestSources(width, w);
        nint fp = (nint)f.Data, yp = (nint)y.Data, bp = (nint)b.Data;
        Parallelism.For(planes, p =>
        {
            float* fo = (float*)fp + (long)p * height * width;
            float* ys = (float*)yp + (long)p * h * w, bs = (float*)bp + (long)p * h * w;
            for (int oy = 0; oy < height; oy++)
            {
                float* row = fo + (long)oy * width;
                int src = rows[oy] * w;
                for (int ox = 0; ox < width; ox++)
                {
                    float scaled = row[ox] * ys[src + cols[ox]];
                    row[ox] = scaled + bs[src + cols[ox]];
                }
            }
        });
    }

    static int[] NearestSources(int outSize, int inSize)
    {
        float scale = (float)inSize / outSize;
        return [.. Enumerable.Range(0, outSize).Select(i => Math.Min((int)MathF.Floor(i * scale), inSize - 1))];
    }
}
