using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.MoVQ;

/// <summary>The result of <see cref="VQModel.Quantize"/>: nearest codebook vectors [B, D, h, w] and their indices in (batch, y, x) order.</summary>
public sealed record QuantizeResult(Tensor Quantized, long[] Indices) : IDisposable
{
    public void Dispose() => Quantized.Dispose();
}

/// <summary>
/// diffusers <c>VQModel</c> with <c>norm_type="spatial"</c> — the MoVQ image autoencoder of Kandinsky 2.1.
/// <code>
/// encode:   x → encoder → quant_conv                               (latents, not quantised)
/// quantize: nearest codebook vector by Euclidean distance
/// decode:   z → [quantize] → post_quant_conv → decoder(·, zq)       (every SpatialNorm is conditioned on zq)
/// </code>
/// </summary>
public sealed class VQModel : Module
{
    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";

    public VQModel(VQModelConfig config, WeightCursor w)
    {
        Config = config.Validate();
        Encoder = Own(new MoVQEncoder(w.Push("encoder"), config));
        QuantConv = Own(new Conv2d(w.Push("quant_conv"), config.LatentChannels, config.EmbedDim, 1));
        Codebook = Own(w.Push("quantize").Push("embedding").Get("weight", config.NumVqEmbeddings, config.EmbedDim));
        PostQuantConv = Own(new Conv2d(w.Push("post_quant_conv"), config.EmbedDim, config.LatentChannels, 1));
        Decoder = Own(new MoVQDecoder(w.Push("decoder"), config));
    }

    public VQModelConfig Config { get; }
    public MoVQEncoder Encoder { get; }
    public Conv2d QuantConv { get; }
    /// <summary><c>quantize.embedding.weight</c> [num_vq_embeddings, vq_embed_dim].</summary>
    public Tensor Codebook { get; }
    public Conv2d PostQuantConv { get; }
    public MoVQDecoder Decoder { get; }

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static VQModel Load(string folder) => ComponentLoader.Load<VQModelConfig, VQModel>(folder, (c, w) => new(c, w));


    /// <summary>encode(x).latents: image [B, in_channels, H, W] in [-1, 1] → [B, vq_embed_dim, H/s, W/s] (not quantised).</summary>
    public Tensor Encode(Tensor image, Action<string, Tensor>? trace = null)
    {
        if (image.Rank != 4 || image.Size(1) != Config.InChannels)
            throw new ArgumentException($"VQModel.Encode: image must be [B, {Config.InChannels}, H, W], got {image.ShapeString}.");
        using var h = Encoder.Forward(image, trace);
        var latents = QuantConv.Forward(h);
        trace?.Invoke("quant_conv", latents);
        return latents;
    }

    /// <summary>
    /// VectorQuantizer (legacy): each latent vector is replaced by its nearest codebook vector (Euclidean; the first
    /// on ties). The values are <c>z + (e - z)</c> in float32, as the reference's straight-through estimator leaves them.
    /// </summary>
    public unsafe QuantizeResult Quantize(Tensor latents)
    {
        int d = Config.EmbedDim, n = Config.NumVqEmbeddings;
        if (latents.Rank != 4 || latents.Size(1) != d)
            throw new ArgumentException($"VQModel.Quantize: latents must be [B, {d}, h, w], got {latents.ShapeString}.");
        int b = latents.Size(0), h = latents.Size(2), w = latents.Size(3), hw = h * w;
        using var z = latents.Contiguous();
        using var codebook = Codebook.DType == DType.F32 ? Codebook.Contiguous() : Codebook.ToFloat32();
        var quantized = Tensor.Empty(b, d, h, w);
        var indices = new long[b * hw];
        float* zp = z.Data, ep = codebook.Data, qp = quantized.Data;
        Parallelism.For(b * hw, pos =>
        {
            int bi = pos / hw, p = pos % hw;
            float* zb = zp + (long)bi * d * hw + p;                                  // channel c at zb[c·hw]
            int best = 0;
            double bestDist = double.PositiveInfinity;
            for (int e = 0; e < n; e++)
            {
                double dist = 0;
                for (int c = 0; c < d; c++) { double diff = zb[(long)c * hw] - ep[(long)e * d + c]; dist += diff * diff; }
                if (dist < bestDist) { bestDist = dist; best = e; }
            }
            indices[pos] = best;
            float* qb = qp + (long)bi * d * hw + p;
            for (int c = 0; c < d; c++)
            {
                float zc = zb[(long)c * hw];
                qb[(long)c * hw] = zc + (ep[(long)best * d + c] - zc);
            }
        });
        return new QuantizeResult(quantized, indices);
    }

    /// <summary>
    /// decode(z, force_not_quantize).sample: latents [B, vq_embed_dim, h, w] → image [B, out_channels, h·s, w·s].
    /// The pipelines decode with <paramref name="forceNotQuantize"/> = true.
    /// </summary>
    public Tensor Decode(Tensor latents, bool forceNotQuantize = true, Action<string, Tensor>? trace = null)
    {
        if (latents.Rank != 4 || latents.Size(1) != Config.EmbedDim)
            throw new ArgumentException($"VQModel.Decode: latents must be [B, {Config.EmbedDim}, h, w], got {latents.ShapeString}.");
        QuantizeResult? q = forceNotQuantize ? null : Quantize(latents);
        using var _ = q;
        var zq = q?.Quantized ?? latents;
        using var h = PostQuantConv.Forward(zq);                                  // [B, latent_channels, h, w]
        trace?.Invoke("post_quant_conv", h);
        return Decoder.Forward(h, zq, trace);                                     // [B, out_channels, h·s, w·s]
    }
}

/// <summary>diffusers VAE <c>Encoder</c> (double_z false): conv_in → down blocks → mid (resnet, attention, resnet) → GN → SiLU → conv_out.</summary>
public sealed class MoVQEncoder : Module
{
    public MoVQEncoder(WeightCursor w, VQModelConfig c)
    {
        int levels = c.BlockOutChannels.Length, groups = c.NormNumGroups, top = c.BlockOutChannels[^1];
        ConvIn = Own(new Conv2d(w.Push("conv_in"), c.InChannels, c.BlockOutChannels[0], 3, padding: 1));
        var blocks = new List<MoVQEncoderBlock>();
        int output = c.BlockOutChannels[0];
        for (int i = 0; i < levels; i++)
        {
            int input = output;
            output = c.BlockOutChannels[i];
            blocks.Add(new MoVQEncoderBlock(w.Push("down_blocks").Push(i), input, output, c.LayersPerBlock,
                c.DownBlockTypes[i] == VQModelConfig.AttnDownEncoder, i < levels - 1, groups));
        }
        DownBlocks = Own(blocks);
        var mid = w.Push("mid_block");
        MidResnets = Own(Enumerable.Range(0, 2).Select(i => new ResnetBlock2D(mid.Push("resnets").Push(i), top, top, null, groups, 1e-6f)));
        MidAttention = Own(c.MidBlockAddAttention ? MoVQAttention.WithGroupNorm(mid.Push("attentions").Push(0), top, groups) : null);
        ConvNormOut = Own(new GroupNorm(w.Push("conv_norm_out"), groups, top, 1e-6f));
        ConvOut = Own(new Conv2d(w.Push("conv_out"), top, c.LatentChannels, 3, padding: 1));
    }

    public Conv2d ConvIn { get; }
    public IReadOnlyList<MoVQEncoderBlock> DownBlocks { get; }
    /// <summary><c>mid_block.resnets.0/1</c>.</summary>
    public IReadOnlyList<ResnetBlock2D> MidResnets { get; }
    /// <summary><c>mid_block.attentions.0</c> (absent when mid_block_add_attention is false).</summary>
    public MoVQAttention? MidAttention { get; }
    public GroupNorm ConvNormOut { get; }
    public Conv2d ConvOut { get; }

    /// <summary>[B, in, H, W] → [B, latent_channels, H/s, W/s]; traces under "encoder.*".</summary>
    public Tensor Forward(Tensor x, Action<string, Tensor>? trace)
    {
        var h = ConvIn.Forward(x);                                                // [B, C0, H, W]
        trace?.Invoke("encoder.conv_in", h);
        for (int i = 0; i < DownBlocks.Count; i++)
        {
            using (var old = h) h = DownBlocks[i].Forward(old);                   // [B, C_i, H / 2^i, W / 2^i] (halved after all but the last)
            trace?.Invoke($"encoder.down_blocks.{i}", h);
        }
        using (var old = h) h = MidResnets[0].Forward(old, null);
        if (MidAttention != null) using (var old = h) h = MidAttention.Forward(old, null);
        using (var old = h) h = MidResnets[1].Forward(old, null);
        trace?.Invoke("encoder.mid_block", h);
        using (var old = h) h = ConvNormOut.Forward(old);
        trace?.Invoke("encoder.conv_norm_out", h);
        using (var old = h) h = F.Silu(old);
        using (var old = h) h = ConvOut.Forward(old);                             // [B, latent_channels, H / s, W / s]
        trace?.Invoke("encoder.conv_out", h);
        return h;
    }
}

/// <summary>
/// diffusers VAE <c>Decoder</c> with norm_type "spatial": conv_in → mid (resnet, attention, resnet) → up blocks →
/// SpatialNorm → SiLU → conv_out; every norm is a SpatialNorm conditioned on the latent zq.
/// </summary>
public sealed class MoVQDecoder : Module
{
    public MoVQDecoder(WeightCursor w, VQModelConfig c)
    {
        int levels = c.BlockOutChannels.Length, top = c.BlockOutChannels[^1], zq = c.EmbedDim;
        ConvIn = Own(new Conv2d(w.Push("conv_in"), c.LatentChannels, top, 3, padding: 1));
        var mid = w.Push("mid_block");
        MidResnets = Own(Enumerable.Range(0, 2).Select(i => new ResnetBlockCondNorm2D(mid.Push("resnets").Push(i), top, top, zq)));
        MidAttention = Own(c.MidBlockAddAttention ? MoVQAttention.WithSpatialNorm(mid.Push("attentions").Push(0), top, zq) : null);
        var reversed = Enumerable.Reverse(c.BlockOutChannels).ToArray();
        var blocks = new List<MoVQDecoderBlock>();
        int output = reversed[0];
        for (int i = 0; i < levels; i++)
        {
            int input = output;
            output = reversed[i];
            blocks.Add(new MoVQDecoderBlock(w.Push("up_blocks").Push(i), input, output, c.LayersPerBlock + 1,
                c.UpBlockTypes[i] == VQModelConfig.AttnUpDecoder, i < levels - 1, zq));
        }
        UpBlocks = Own(blocks);
        ConvNormOut = Own(new SpatialNorm(w.Push("conv_norm_out"), c.BlockOutChannels[0], zq));
        ConvOut = Own(new Conv2d(w.Push("conv_out"), c.BlockOutChannels[0], c.OutChannels, 3, padding: 1));
    }

    public Conv2d ConvIn { get; }
    /// <summary><c>mid_block.resnets.0/1</c>.</summary>
    public IReadOnlyList<ResnetBlockCondNorm2D> MidResnets { get; }
    /// <summary><c>mid_block.attentions.0</c> (absent when mid_block_add_attention is false).</summary>
    public MoVQAttention? MidAttention { get; }
    public IReadOnlyList<MoVQDecoderBlock> UpBlocks { get; }
    public SpatialNorm ConvNormOut { get; }
    public Conv2d ConvOut { get; }

    /// <summary>z [B, latent_channels, h, w] (after post_quant_conv), zq [B, vq_embed_dim, h, w] → [B, out, h·s, w·s]; traces under "decoder.*".</summary>
    public Tensor Forward(Tensor z, Tensor zq, Action<string, Tensor>? trace)
    {
        var h = ConvIn.Forward(z);                                                // [B, C_top, h, w]
        trace?.Invoke("decoder.conv_in", h);
        using (var old = h) h = MidResnets[0].Forward(old, zq);
        if (MidAttention != null) using (var old = h) h = MidAttention.Forward(old, zq);
        using (var old = h) h = MidResnets[1].Forward(old, zq);
        trace?.Invoke("decoder.mid_block", h);
        for (int i = 0; i < UpBlocks.Count; i++)
        {
            using (var old = h) h = UpBlocks[i].Forward(old, zq);                 // doubled in size after all but the last
            trace?.Invoke($"decoder.up_blocks.{i}", h);
        }
        using (var old = h) h = ConvNormOut.Forward(old, zq);
        trace?.Invoke("decoder.conv_norm_out", h);
        using (var old = h) h = F.Silu(old);
        using (var old = h) h = ConvOut.Forward(old);                             // [B, out_channels, h·s, w·s]
        return h;
    }
}
