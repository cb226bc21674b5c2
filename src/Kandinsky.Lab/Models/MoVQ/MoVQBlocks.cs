using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.MoVQ;

/// <summary>
/// diffusers <c>ResnetBlockCondNorm2D</c> with <c>time_embedding_norm="spatial"</c> (MoVQ decoder):
/// <c>h = conv2(SiLU(norm2(conv1(SiLU(norm1(x, zq))), zq))); out = conv_shortcut(x) + h</c>, the norms being SpatialNorms.
/// </summary>
public sealed class ResnetBlockCondNorm2D : Module
{
    public ResnetBlockCondNorm2D(WeightCursor w, int inChannels, int outChannels, int zqChannels)
    {
        InChannels = inChannels;
        Norm1 = Own(new SpatialNorm(w.Push("norm1"), inChannels, zqChannels));
        Conv1 = Own(new Conv2d(w.Push("conv1"), inChannels, outChannels, 3, padding: 1));
        Norm2 = Own(new SpatialNorm(w.Push("norm2"), outChannels, zqChannels));
        Conv2 = Own(new Conv2d(w.Push("conv2"), outChannels, outChannels, 3, padding: 1));
        ConvShortcut = Own(inChannels != outChannels ? new Conv2d(w.Push("conv_shortcut"), inChannels, outChannels, 1) : null);
    }

    public int InChannels { get; }
    public SpatialNorm Norm1 { get; }
    public Conv2d Conv1 { get; }
    public SpatialNorm Norm2 { get; }
    public Conv2d Conv2 { get; }
    public Conv2d? ConvShortcut { get; }

    /// <summary>x [B, Cin, H, W], zq [B, Czq, h, w] → [B, Cout, H, W].</summary>
    public Tensor Forward(Tensor x, Tensor zq)
    {
        if (x.Rank != 4 || x.Size(1) != InChannels)
            throw new ArgumentException($"ResnetBlockCondNorm2D: expected input [B, {InChannels}, H, W], got {x.ShapeString}.");
        Tensor h = Norm1.Forward(x, zq);
        using (var old = h) h = F.Silu(old);
        using (var old = h) h = Conv1.Forward(old);
        using (var old = h) h = Norm2.Forward(old, zq);
        using (var old = h) h = F.Silu(old);
        using (var old = h) h = Conv2.Forward(old);   // dropout skipped for inference
        using var shortcut = ConvShortcut != null ? ConvShortcut.Forward(x) : x.Alias();
        F.AddInPlace(h, shortcut);
        return h;
    }
}

/// <summary>
/// diffusers <c>Attention</c> as the VAE blocks build it (one head of size C, q/k/v/out with biases, residual):
/// <c>x + to_out.0(softmax(q kᵀ / √C) v)</c> with q, k, v from the normalised input — a GroupNorm
/// (<c>group_norm</c>, encoder) or a SpatialNorm (<c>spatial_norm</c>, decoder).
/// </summary>
public sealed class MoVQAttention : Module
{
    MoVQAttention(WeightCursor w, int channels, GroupNorm? groupNorm, SpatialNorm? spatialNorm)
    {
        Channels = channels;
        GroupNorm = Own(groupNorm);
        SpatialNorm = Own(spatialNorm);
        ToQ = Own(new Linear(w.Push("to_q"), channels, channels));
        ToK = Own(new Linear(w.Push("to_k"), channels, channels));
        ToV = Own(new Linear(w.Push("to_v"), channels, channels));
        ToOut = Own(new Linear(w.Push("to_out").Push(0), channels, channels));   // to_out.1 is Dropout, skipped
    }

    /// <summary>Encoder attention: GroupNorm(groups, eps 1e-6) on the input.</summary>
    public static MoVQAttention WithGroupNorm(WeightCursor w, int channels, int groups) =>
        new(w, channels, new GroupNorm(w.Push("group_norm"), groups, channels, 1e-6f), null);

    /// <summary>Decoder attention: SpatialNorm conditioned on the latent.</summary>
    public static MoVQAttention WithSpatialNorm(WeightCursor w, int channels, int zqChannels) =>
        new(w, channels, null, new SpatialNorm(w.Push("spatial_norm"), channels, zqChannels));

    public int Channels { get; }
    public GroupNorm? GroupNorm { get; }
    public SpatialNorm? SpatialNorm { get; }
    public Linear ToQ { get; }
    public Linear ToK { get; }
    public Linear ToV { get; }
    public Linear ToOut { get; }

    /// <summary>x [B, C, H, W] (zq [B, Czq, h, w] for the decoder) → [B, C, H, W].</summary>
    public Tensor Forward(Tensor x, Tensor? zq)
    {
        if (x.Rank != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"MoVQ attention: expected input [B, {Channels}, H, W], got {x.ShapeString}.");
        int b = x.Size(0), c = Channels, h = x.Size(2), w = x.Size(3), l = h * w;
        Tensor attended;
        using (var normed = SpatialNorm != null
                   ? SpatialNorm.Forward(x, zq ?? throw new ArgumentException("MoVQ attention: the decoder attention needs the latent zq."))
                   : GroupNorm!.Forward(x))                                          // [B, C, H, W]
        using (var flat = normed.Reshape(b, c, l))
        using (var tokens = flat.Transpose(1, 2))                                    // [B, HW, C]
        using (var q = ToQ.Forward(tokens))
        using (var k = ToK.Forward(tokens))
        using (var v = ToV.Forward(tokens))
        using (var qh = q.Unsqueeze(1))                                              // [B, 1, HW, C]: one head
        using (var kh = k.Unsqueeze(1))
        using (var vh = v.Unsqueeze(1))
        using (var o = F.ScaledDotProductAttention(qh, kh, vh, scale: 1f / MathF.Sqrt(c)))
        using (var rows = o.Squeeze(1))                                              // [B, HW, C]
            attended = ToOut.Forward(rows);
        using (attended)
        using (var channelsFirst = attended.Transpose(1, 2))                         // [B, C, HW]
        using (var image = channelsFirst.Reshape(b, c, h, w))
            return F.Add(image, x);
    }
}

/// <summary>
/// diffusers <c>DownEncoderBlock2D</c> / <c>AttnDownEncoderBlock2D</c>: GroupNorm resnets (eps 1e-6, no time
/// embedding), each followed by an attention in the Attn variant, then <c>downsamplers.0</c>: pad right and bottom
/// by one zero, 3×3 conv with stride 2 and no padding.
/// </summary>
public sealed class MoVQEncoderBlock : Module
{
    public MoVQEncoderBlock(WeightCursor w, int inChannels, int outChannels, int numLayers, bool withAttention, bool addDownsample, int groups)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), i == 0 ? inChannels : outChannels, outChannels, null, groups, 1e-6f)));
        Attentions = Own(Enumerable.Range(0, withAttention ? numLayers : 0)
            .Select(i => MoVQAttention.WithGroupNorm(w.Push("attentions").Push(i), outChannels, groups)));
        Downsampler = Own(addDownsample ? new Conv2d(w.Push("downsamplers").Push(0).Push("conv"), outChannels, outChannels, 3, stride: 2) : null);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public IReadOnlyList<MoVQAttention> Attentions { get; }
    public Conv2d? Downsampler { get; }

    /// <summary>[B, Cin, H, W] → [B, Cout, H/2, W/2] (no halving in the last block).</summary>
    public Tensor Forward(Tensor x)
    {
        var h = x.Alias();
        for (int i = 0; i < Resnets.Count; i++)
        {
            using (var old = h) h = Resnets[i].Forward(old, null);
            if (Attentions.Count > 0) using (var old = h) h = Attentions[i].Forward(old, null);
        }
        if (Downsampler != null)
        {
            using (var old = h) h = F.Pad(old, 0, 1, 0, 1);                        // (left, right, top, bottom)
            using (var old = h) h = Downsampler.Forward(old);
        }
        return h;
    }
}

/// <summary>
/// diffusers <c>UpDecoderBlock2D</c> / <c>AttnUpDecoderBlock2D</c> with spatial norms: SpatialNorm resnets, each followed
/// by an attention in the Attn variant, then <c>upsamplers.0</c>: nearest 2× and a 3×3 conv.
/// </summary>
public sealed class MoVQDecoderBlock : Module
{
    public MoVQDecoderBlock(WeightCursor w, int inChannels, int outChannels, int numLayers, bool withAttention, bool addUpsample, int zqChannels)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlockCondNorm2D(w.Push("resnets").Push(i), i == 0 ? inChannels : outChannels, outChannels, zqChannels)));
        Attentions = Own(Enumerable.Range(0, withAttention ? numLayers : 0)
            .Select(i => MoVQAttention.WithSpatialNorm(w.Push("attentions").Push(i), outChannels, zqChannels)));
        Upsampler = Own(addUpsample ? new Conv2d(w.Push("upsamplers").Push(0).Push("conv"), outChannels, outChannels, 3, padding: 1) : null);
    }

    public IReadOnlyList<ResnetBlockCondNorm2D> Resnets { get; }
    public IReadOnlyList<MoVQAttention> Attentions { get; }
    public Conv2d? Upsampler { get; }

    /// <summary>[B, Cin, H, W], zq → [B, Cout, 2H, 2W] (no doubling in the last block).</summary>
    public Tensor Forward(Tensor x, Tensor zq)
    {
        var h = x.Alias();
        for (int i = 0; i < Resnets.Count; i++)
        {
            using (var old = h) h = Resnets[i].Forward(old, zq);
            if (Attentions.Count > 0) using (var old = h) h = Attentions[i].Forward(old, zq);
        }
        if (Upsampler != null)
        {
            using (var old = h) h = F.Interpolate(old, 2 * old.Size(2), 2 * old.Size(3));
            using (var old = h) h = Upsampler.Forward(old);
        }
        return h;
    }
}
