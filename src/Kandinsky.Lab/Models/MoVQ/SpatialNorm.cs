using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.MoVQ;

/// <summary>
/// diffusers <c>SpatialNorm</c> (MoVQ): <c>norm_layer(f) * conv_y(zq') + conv_b(zq')</c>, where zq' is the decoder's
/// latent nearest-resized to f's size and norm_layer is a GroupNorm with 32 groups and eps 1e-6 whatever the
/// model's norm_num_groups.
/// </summary>
public sealed class SpatialNorm : IDisposable
{
    /// <summary>SpatialNorm's GroupNorm always has 32 groups (diffusers hard-codes it).</summary>
    public const int Groups = 32;
    const float Eps = 1e-6f;

    public SpatialNorm(WeightCursor w, int fChannels, int zqChannels)
    {
        NormLayer = new GroupNorm(w.Push("norm_layer"), Groups, fChannels, Eps);
        ConvY = new Conv2d(w.Push("conv_y"), zqChannels, fChannels, 1);
        ConvB = new Conv2d(w.Push("conv_b"), zqChannels, fChannels, 1);
    }

    public GroupNorm NormLayer { get; }
    public Conv2d ConvY { get; }
    public Conv2d ConvB { get; }

    /// <summary>f [B, C, H, W], zq [B, Czq, h, w] → [B, C, H, W].</summary>
    public Tensor Forward(Tensor f, Tensor zq)
    {
        int height = f.Size(2), width = f.Size(3);
        // A 1×1 convolution commutes with nearest resizing (both act per pixel), so convolve the small latent
        // and resize the result: the same values for a fraction of the work.
        using var y = ConvY.Forward(zq);                                             // [B, C, h, w]
        using var b = ConvB.Forward(zq);
        using var yUp = Resize(y, height, width);                                    // [B, C, H, W]
        using var bUp = Resize(b, height, width);
        using var normed = NormLayer.Forward(f);
        using var scaled = F.Mul(normed, yUp);
        return F.Add(scaled, bUp);
    }

    static Tensor Resize(Tensor t, int height, int width) =>
        t.Size(2) == height && t.Size(3) == width ? t.Alias() : F.Interpolate(t, height, width);

    public void Dispose()
    {
        NormLayer.Dispose();
        ConvY.Dispose();
        ConvB.Dispose();
    }
}
