using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>Resampling inside a <see cref="ResnetBlock2D"/> (diffusers <c>down=True</c> / <c>up=True</c>).</summary>
public enum ResnetSampling { None, Down, Up }

/// <summary>
/// diffusers <c>ResnetBlock2D</c> in the two forms Kandinsky 2.1 uses:
/// with a time embedding (<c>time_embedding_norm="scale_shift"</c>, the UNet) and without one (the MoVQ encoder).
/// <code>
/// h = SiLU(norm1(x)); [down: avg-pool 2×2 h and x | up: nearest 2× h and x]; h = conv1(h)
/// scale_shift: t = time_emb_proj(SiLU(emb)); h = norm2(h) * (1 + t[:, :C]) + t[:, C:]   else: h = norm2(h)
/// out = conv_shortcut(x) + conv2(SiLU(h))       (conv_shortcut: 1×1, only when the channel counts differ)
/// </code>
/// Dropout is skipped (inference); output_scale_factor is 1 in every Kandinsky 2.1 config.
/// </summary>
public sealed class ResnetBlock2D : Module
{
    public ResnetBlock2D(WeightCursor w, int inChannels, int outChannels, int? tembChannels, int groups, float eps, ResnetSampling sampling = ResnetSampling.None)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Sampling = sampling;
        Norm1 = Own(new GroupNorm(w.Push("norm1"), groups, inChannels, eps));
        Conv1 = Own(new Conv2d(w.Push("conv1"), inChannels, outChannels, 3, padding: 1));
        TimeEmbProj = Own(tembChannels is int t ? new Linear(w.Push("time_emb_proj"), t, 2 * outChannels) : null);
        Norm2 = Own(new GroupNorm(w.Push("norm2"), groups, outChannels, eps));
        Conv2 = Own(new Conv2d(w.Push("conv2"), outChannels, outChannels, 3, padding: 1));
        ConvShortcut = Own(inChannels != outChannels ? new Conv2d(w.Push("conv_shortcut"), inChannels, outChannels, 1) : null);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public ResnetSampling Sampling { get; }
    public GroupNorm Norm1 { get; }
    public Conv2d Conv1 { get; }
    /// <summary>Linear(temb, 2·out) giving [scale | shift]; null for blocks without a time embedding.</summary>
    public Linear? TimeEmbProj { get; }
    public GroupNorm Norm2 { get; }
    public Conv2d Conv2 { get; }
    public Conv2d? ConvShortcut { get; }

    /// <summary>
    /// x [B, Cin, H, W] → [B, Cout, H', W']. <paramref name="embAct"/> is SiLU(emb) [B, temb] — the same for every
    /// resnet of a forward pass, so the caller computes it once; null for blocks without a time embedding.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? embAct)
    {
        if (x.Rank != 4 || x.Size(1) != InChannels)
            throw new ArgumentException($"ResnetBlock2D: expected input [B, {InChannels}, H, W], got {x.ShapeString}.");
        if ((TimeEmbProj == null) != (embAct == null))
            throw new ArgumentException($"ResnetBlock2D: a time embedding is {(TimeEmbProj == null ? "not expected" : "required")} for this block.");

        Tensor h;
        using (var n1 = Norm1.Forward(x)) h = F.Silu(n1);                      // [B, Cin, H, W]
        using var input = Resample(x);                                          // [B, Cin, H', W']
        if (Sampling != ResnetSampling.None) { using var old = h; h = Resample(old); }
        using (var old = h) h = Conv1.Forward(old);                              // [B, Cout, H', W']

        using (var old = h) h = Norm2.Forward(old);
        if (TimeEmbProj != null)
        {
            using var t = TimeEmbProj.Forward(embAct!);                          // [B, 2·Cout]
            using var t4 = t.Reshape(t.Size(0), 2 * OutChannels, 1, 1);
            using var scale = t4.Slice(1, 0, OutChannels);                       // [B, Cout, 1, 1]
            using var shift = t4.Slice(1, OutChannels, 2 * OutChannels);
            using var onePlusScale = F.Add(scale, 1f);
            using (var old = h) h = F.Mul(old, onePlusScale);
            using (var old = h) h = F.Add(old, shift);
        }
        using (var old = h) h = F.Silu(old);
        using (var old = h) h = Conv2.Forward(old);

        using var shortcut = ConvShortcut != null ? ConvShortcut.Forward(input) : input.Alias();
        F.AddInPlace(h, shortcut);
        return h;
    }

    /// <summary>The block's down/up resampling (avg-pool 2×2 / nearest 2×), or a new reference when there is none.</summary>
    Tensor Resample(Tensor t) => Sampling switch
    {
        ResnetSampling.Down => F.AvgPool2d(t, 2, 2),
        ResnetSampling.Up => F.Interpolate(t, 2 * t.Size(2), 2 * t.Size(3)),
        _ => t.Alias(),
    };
}
