using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c>, the configuration family of the Kandinsky 2.1 decoder (text2img, 4 input
/// channels, and inpaint, 9): sinusoidal time embedding + <c>text_image</c> addition embedding, a
/// <c>text_image_proj</c> cross-attention context (10 image tokens, then the text tokens), scale-shift resnets,
/// resnet down/up sampling and added-KV attention blocks. Output channels 0-3 are the predicted noise, 4-7 the
/// learned variance values.
/// </summary>
public sealed class UNet2DConditionModel : Module
{
    /// <summary>Weight file name inside a diffusers model folder.</summary>
    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";

    public UNet2DConditionModel(UNet2DConditionConfig config, WeightCursor w)
    {
        Config = config.Validate();
        var c = config;
        int levels = c.BlockOutChannels.Length, ch0 = c.BlockOutChannels[0], temb = c.TimeEmbedDim;
        var s = new UNetBlockSettings(temb, c.NormNumGroups, c.NormEps, c.CrossAttentionDim);

        ConvIn = Own(new Conv2d(w.Push("conv_in"), c.InChannels, ch0, 3, padding: 1));
        TimeProj = new Timesteps(ch0, c.FlipSinToCos, c.FreqShift);
        TimeEmbedding = Own(new TimestepEmbedding(w.Push("time_embedding"), ch0, temb));
        EncoderHidProj = Own(new TextImageProjection(w.Push("encoder_hid_proj"), c.EncoderHidDim!.Value, c.CrossAttentionDim, c.CrossAttentionDim));
        AddEmbedding = Own(new TextImageTimeEmbedding(w.Push("add_embedding"), c.CrossAttentionDim, c.CrossAttentionDim, temb));

        var down = new List<IUNetDownBlock>();
        int output = ch0;
        for (int i = 0; i < levels; i++)
        {
            int input = output;
            output = c.BlockOutChannels[i];
            bool last = i == levels - 1;
            var bw = w.Push("down_blocks").Push(i);
            down.Add(c.DownBlockTypes[i] == UNet2DConditionConfig.DownResnet
                ? new ResnetDownsampleBlock2D(bw, input, output, c.LayersPerBlock, !last, s)
                : new SimpleCrossAttnDownBlock2D(bw, input, output, c.LayersPerBlock, !last, c.HeadDim(i), s));
        }
        DownBlocks = Own(down);

        MidBlock = Own(new UNetMidBlock2DSimpleCrossAttn(w.Push("mid_block"), c.BlockOutChannels[^1], c.HeadDim(levels - 1), s));

        var up = new List<IUNetUpBlock>();
        var reversed = Enumerable.Reverse(c.BlockOutChannels).ToArray();
        var reversedHeadDims = Enumerable.Range(0, levels).Select(c.HeadDim).Reverse().ToArray();
        output = reversed[0];
        for (int i = 0; i < levels; i++)
        {
            int prevOutput = output;
            output = reversed[i];
            int input = reversed[Math.Min(i + 1, levels - 1)];
            bool last = i == levels - 1;
            var bw = w.Push("up_blocks").Push(i);
            up.Add(c.UpBlockTypes[i] == UNet2DConditionConfig.UpResnet
                ? new ResnetUpsampleBlock2D(bw, input, output, prevOutput, c.LayersPerBlock + 1, !last, s)
                : new SimpleCrossAttnUpBlock2D(bw, input, output, prevOutput, c.LayersPerBlock + 1, !last, reversedHeadDims[i], s));
        }
        UpBlocks = Own(up);

        ConvNormOut = Own(new GroupNorm(w.Push("conv_norm_out"), c.NormNumGroups, ch0, c.NormEps));
        ConvOut = Own(new Conv2d(w.Push("conv_out"), ch0, c.OutChannels, 3, padding: 1));
    }

    public UNet2DConditionConfig Config { get; }
    public Conv2d ConvIn { get; }
    public Timesteps TimeProj { get; }
    public TimestepEmbedding TimeEmbedding { get; }
    public TextImageProjection EncoderHidProj { get; }
    public TextImageTimeEmbedding AddEmbedding { get; }
    public IReadOnlyList<IUNetDownBlock> DownBlocks { get; }
    public UNetMidBlock2DSimpleCrossAttn MidBlock { get; }
    public IReadOnlyList<IUNetUpBlock> UpBlocks { get; }
    public GroupNorm ConvNormOut { get; }
    public Conv2d ConvOut { get; }

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static UNet2DConditionModel Load(string folder) => ComponentLoader.Load<UNet2DConditionConfig, UNet2DConditionModel>(folder, (c, w) => new(c, w));


    /// <summary>
    /// forward(sample, timestep, encoder_hidden_states, added_cond_kwargs={text_embeds, image_embeds}).sample.
    /// sample [B, in_channels, H, W] (H, W multiples of 2^(levels-1)); timesteps: one per batch item or a single
    /// one for all; encoderHiddenStates [B, S, encoder_hid_dim]; textEmbeds, imageEmbeds [B, cross_attention_dim].
    /// Returns [B, out_channels, H, W]. <paramref name="trace"/> sees the intermediate activations under their
    /// module names (time_proj, time_embedding, add_embedding, encoder_hid_proj, conv_in, down_blocks.i,
    /// mid_block, up_blocks.i, conv_norm_out); it must copy what it keeps. <paramref name="attention"/> sees (and may
    /// bias) every added-KV attention call.
    /// </summary>
    public Tensor Forward(Tensor sample, ReadOnlySpan<long> timesteps, Tensor encoderHiddenStates, Tensor textEmbeds, Tensor imageEmbeds,
        Action<string, Tensor>? trace = null, IAttentionHook? attention = null)
    {
        CheckInputs(sample, timesteps, encoderHiddenStates, textEmbeds, imageEmbeds);
        int b = sample.Size(0);

        // 1. time: sinusoidal features of each timestep → MLP, plus the text/image addition embedding
        var steps = new float[b];
        for (int i = 0; i < b; i++) steps[i] = timesteps[timesteps.Length == 1 ? 0 : i];
        Tensor embAct;
        using (var tEmb = TimeProj.Forward(steps))                                   // [B, ch0]
        using (var timeEmb = TimeEmbedding.Forward(tEmb))                             // [B, temb]
        using (var augEmb = AddEmbedding.Forward(textEmbeds, imageEmbeds))             // [B, temb]
        using (var emb = F.Add(timeEmb, augEmb))
        {
            trace?.Invoke("time_proj", tEmb);
            trace?.Invoke("time_embedding", timeEmb);
            trace?.Invoke("add_embedding", augEmb);
            embAct = F.Silu(emb);                                                     // every resnet's time_emb_proj input
        }
        using var _ = embAct;

        // 2. cross-attention context: 10 image tokens, then the projected text tokens
        using var context = EncoderHidProj.Forward(encoderHiddenStates, imageEmbeds);  // [B, 10 + S, cross_attention_dim]
        trace?.Invoke("encoder_hid_proj", context);

        // 3. down: every resnet(+attention) and downsampler output is kept as a skip connection
        var skips = new List<Tensor>();
        try
        {
            var h = ConvIn.Forward(sample);                                          // [B, ch0, H, W]
            trace?.Invoke("conv_in", h);
            skips.Add(h.Alias());
            for (int i = 0; i < DownBlocks.Count; i++)
            {
                using (var old = h) h = DownBlocks[i].Forward(old, embAct, context, skips, attention);
                trace?.Invoke($"down_blocks.{i}", h);
            }

            // 4. mid
            using (var old = h) h = MidBlock.Forward(old, embAct, context, attention);
            trace?.Invoke("mid_block", h);

            // 5. up: each block concatenates [hidden | skip] before each of its resnets
            for (int i = 0; i < UpBlocks.Count; i++)
            {
                using (var old = h) h = UpBlocks[i].Forward(old, embAct, context, skips, attention);
                trace?.Invoke($"up_blocks.{i}", h);
            }

            // 6. out
            using (var old = h) h = ConvNormOut.Forward(old);
            trace?.Invoke("conv_norm_out", h);
            using (var old = h) h = F.Silu(old);
            using (h) return ConvOut.Forward(h);                                     // [B, out_channels, H, W]
        }
        finally
        {
            foreach (var s in skips) s.Dispose();
        }
    }

    void CheckInputs(Tensor sample, ReadOnlySpan<long> timesteps, Tensor ehs, Tensor textEmbeds, Tensor imageEmbeds)
    {
        var c = Config;
        int levels = c.BlockOutChannels.Length, factor = 1 << (levels - 1);
        if (sample.Rank != 4 || sample.Size(1) != c.InChannels)
            throw new ArgumentException($"UNet2DConditionModel: sample must be [B, {c.InChannels}, H, W], got {sample.ShapeString}.");
        int b = sample.Size(0);
        if (sample.Size(2) % factor != 0 || sample.Size(3) % factor != 0)
            throw new ArgumentException($"UNet2DConditionModel: sample height and width must be multiples of {factor} (2^(levels-1)), got {sample.ShapeString}.");
        if (timesteps.Length != 1 && timesteps.Length != b)
            throw new ArgumentException($"UNet2DConditionModel: expected 1 or {b} timesteps, got {timesteps.Length}.");
        if (ehs.Rank != 3 || ehs.Size(0) != b || ehs.Size(2) != c.EncoderHidDim)
            throw new ArgumentException($"UNet2DConditionModel: encoder_hidden_states must be [{b}, S, {c.EncoderHidDim}], got {ehs.ShapeString}.");
        if (textEmbeds.Rank != 2 || textEmbeds.Size(0) != b || textEmbeds.Size(1) != c.CrossAttentionDim)
            throw new ArgumentException($"UNet2DConditionModel: text_embeds must be [{b}, {c.CrossAttentionDim}], got {textEmbeds.ShapeString}.");
        if (imageEmbeds.Rank != 2 || imageEmbeds.Size(0) != b || imageEmbeds.Size(1) != c.CrossAttentionDim)
            throw new ArgumentException($"UNet2DConditionModel: image_embeds must be [{b}, {c.CrossAttentionDim}], got {imageEmbeds.ShapeString}.");
    }
}
