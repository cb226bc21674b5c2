using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>Shared sizes of the UNet's blocks: time embedding width, GroupNorm groups and eps, cross-attention width.</summary>
public readonly record struct UNetBlockSettings(int TembChannels, int Groups, float Eps, int CrossAttentionDim);

/// <summary>A down block: consumes the hidden state, pushes every resnet(+attention) and downsampler output as a skip.</summary>
public interface IUNetDownBlock : IDisposable
{
    /// <summary>h [B, Cin, H, W] → [B, Cout, H', W']; <paramref name="skips"/> receives references the caller disposes; the attention layers pass <paramref name="hook"/> on.</summary>
    Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook);
}

/// <summary>An up block: pops one skip per resnet (last pushed first) and concatenates it after the hidden state.</summary>
public interface IUNetUpBlock : IDisposable
{
    /// <summary>Number of skip tensors the block consumes.</summary>
    int SkipCount { get; }
    Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook);
}

/// <summary>diffusers <c>ResnetDownsampleBlock2D</c>: resnets, then a resnet with 2×2 average pooling (not a strided conv).</summary>
public sealed class ResnetDownsampleBlock2D : Module, IUNetDownBlock
{
    public ResnetDownsampleBlock2D(WeightCursor w, int inChannels, int outChannels, int numLayers, bool addDownsample, UNetBlockSettings s)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), i == 0 ? inChannels : outChannels, outChannels, s.TembChannels, s.Groups, s.Eps)));
        Downsampler = Own(addDownsample
            ? new ResnetBlock2D(w.Push("downsamplers").Push(0), outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, ResnetSampling.Down)
            : null);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public ResnetBlock2D? Downsampler { get; }

    public Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook)
    {
        var x = h.Alias();
        foreach (var resnet in Resnets)
        {
            using (var old = x) x = resnet.Forward(old, embAct);
            skips.Add(x.Alias());
        }
        if (Downsampler != null)
        {
            using (var old = x) x = Downsampler.Forward(old, embAct);
            skips.Add(x.Alias());
        }
        return x;
    }
}

/// <summary>diffusers <c>SimpleCrossAttnDownBlock2D</c>: (resnet, added-KV attention) pairs, then a downsampling resnet.</summary>
public sealed class SimpleCrossAttnDownBlock2D : Module, IUNetDownBlock
{
    public SimpleCrossAttnDownBlock2D(WeightCursor w, int inChannels, int outChannels, int numLayers, bool addDownsample, int headDim, UNetBlockSettings s)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), i == 0 ? inChannels : outChannels, outChannels, s.TembChannels, s.Groups, s.Eps)));
        Attentions = Own(Enumerable.Range(0, numLayers).Select(i =>
            new AddedKVAttention(w.Push("attentions").Push(i), outChannels, s.CrossAttentionDim, headDim, s.Groups)));
        Downsampler = Own(addDownsample
            ? new ResnetBlock2D(w.Push("downsamplers").Push(0), outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, ResnetSampling.Down)
            : null);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public IReadOnlyList<AddedKVAttention> Attentions { get; }
    public ResnetBlock2D? Downsampler { get; }

    public Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook)
    {
        var x = h.Alias();
        for (int i = 0; i < Resnets.Count; i++)
        {
            using (var old = x) x = Resnets[i].Forward(old, embAct);
            using (var old = x) x = Attentions[i].Forward(old, context, hook);
            skips.Add(x.Alias());
        }
        if (Downsampler != null)
        {
            using (var old = x) x = Downsampler.Forward(old, embAct);
            skips.Add(x.Alias());
        }
        return x;
    }
}

/// <summary>diffusers <c>UNetMidBlock2DSimpleCrossAttn</c> (one layer): resnet, added-KV attention, resnet.</summary>
public sealed class UNetMidBlock2DSimpleCrossAttn : Module
{
    public UNetMidBlock2DSimpleCrossAttn(WeightCursor w, int channels, int headDim, UNetBlockSettings s)
    {
        Resnets = Own(Enumerable.Range(0, 2).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), channels, channels, s.TembChannels, s.Groups, s.Eps)));
        Attentions = Own([new AddedKVAttention(w.Push("attentions").Push(0), channels, s.CrossAttentionDim, headDim, s.Groups)]);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public IReadOnlyList<AddedKVAttention> Attentions { get; }

    /// <summary>[B, C, H, W] → [B, C, H, W].</summary>
    public Tensor Forward(Tensor h, Tensor embAct, Tensor context, IAttentionHook? hook = null)
    {
        var x = Resnets[0].Forward(h, embAct);
        for (int i = 0; i < Attentions.Count; i++)
        {
            using (var old = x) x = Attentions[i].Forward(old, context, hook);
            using (var old = x) x = Resnets[i + 1].Forward(old, embAct);
        }
        return x;
    }
}

/// <summary>diffusers <c>ResnetUpsampleBlock2D</c>: resnets over [hidden | skip], then a resnet with nearest 2× upsampling.</summary>
public sealed class ResnetUpsampleBlock2D : Module, IUNetUpBlock
{
    public ResnetUpsampleBlock2D(WeightCursor w, int inChannels, int outChannels, int prevOutputChannels, int numLayers, bool addUpsample, UNetBlockSettings s)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), UpResnetInChannels(i, numLayers, inChannels, outChannels, prevOutputChannels), outChannels, s.TembChannels, s.Groups, s.Eps)));
        Upsampler = Own(addUpsample
            ? new ResnetBlock2D(w.Push("upsamplers").Push(0), outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, ResnetSampling.Up)
            : null);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public ResnetBlock2D? Upsampler { get; }
    public int SkipCount => Resnets.Count;

    public Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook)
    {
        var x = h.Alias();
        foreach (var resnet in Resnets)
        {
            using (var old = x) x = ConcatSkip(old, skips);
            using (var old = x) x = resnet.Forward(old, embAct);
        }
        if (Upsampler != null) using (var old = x) x = Upsampler.Forward(old, embAct);
        return x;
    }

    /// <summary>Channels entering resnet <paramref name="i"/> of an up block: hidden (previous level or this block) + skip.</summary>
    internal static int UpResnetInChannels(int i, int numLayers, int inChannels, int outChannels, int prevOutputChannels)
    {
        int skip = i == numLayers - 1 ? inChannels : outChannels;
        int hidden = i == 0 ? prevOutputChannels : outChannels;
        return hidden + skip;
    }

    /// <summary>cat([h, last skip], dim 1); the skip is popped and released.</summary>
    internal static Tensor ConcatSkip(Tensor h, List<Tensor> skips)
    {
        if (skips.Count == 0) throw new InvalidOperationException("UNet up block: no skip connection left to concatenate.");
        using var skip = skips[^1];
        skips.RemoveAt(skips.Count - 1);
        if (skip.Size(0) != h.Size(0) || skip.Size(2) != h.Size(2) || skip.Size(3) != h.Size(3))
            throw new ArgumentException($"UNet up block: skip {skip.ShapeString} does not match hidden state {h.ShapeString} (sample height and width must be multiples of 2^(levels-1)).");
        return F.Cat([h, skip], 1);                                                  // [B, Ch + Cs, H, W]
    }
}

/// <summary>diffusers <c>SimpleCrossAttnUpBlock2D</c>: (resnet over [hidden | skip], added-KV attention) pairs, then an upsampling resnet.</summary>
public sealed class SimpleCrossAttnUpBlock2D : Module, IUNetUpBlock
{
    public SimpleCrossAttnUpBlock2D(WeightCursor w, int inChannels, int outChannels, int prevOutputChannels, int numLayers, bool addUpsample, int headDim, UNetBlockSettings s)
    {
        Resnets = Own(Enumerable.Range(0, numLayers).Select(i =>
            new ResnetBlock2D(w.Push("resnets").Push(i), ResnetUpsampleBlock2D.UpResnetInChannels(i, numLayers, inChannels, outChannels, prevOutputChannels), outChannels, s.TembChannels, s.Groups, s.Eps)));
        Attentions = Own(Enumerable.Range(0, numLayers).Select(i =>
            new AddedKVAttention(w.Push("attentions").Push(i), outChannels, s.CrossAttentionDim, headDim, s.Groups)));
        Upsampler = Own(addUpsample
            ? new ResnetBlock2D(w.Push("upsamplers").Push(0), outChannels, outChannels, s.TembChannels, s.Groups, s.Eps, ResnetSampling.Up)
            : null);
    }

    public IReadOnlyList<ResnetBlock2D> Resnets { get; }
    public IReadOnlyList<AddedKVAttention> Attentions { get; }
    public ResnetBlock2D? Upsampler { get; }
    public int SkipCount => Resnets.Count;

    public Tensor Forward(Tensor h, Tensor embAct, Tensor context, List<Tensor> skips, IAttentionHook? hook)
    {
        var x = h.Alias();
        for (int i = 0; i < Resnets.Count; i++)
        {
            using (var old = x) x = ResnetUpsampleBlock2D.ConcatSkip(old, skips);
            using (var old = x) x = Resnets[i].Forward(old, embAct);
            using (var old = x) x = Attentions[i].Forward(old, context, hook);
        }
        if (Upsampler != null) using (var old = x) x = Upsampler.Forward(old, embAct);
        return x;
    }
}
