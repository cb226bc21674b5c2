using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tests.Models;

namespace Kandinsky.Lab.Tests.Attention;

/// <summary>Attention capture and re-weighting on the golden UNet case, checked against a naive softmax of the layers' own q and k.</summary>
public sealed class AttentionCaptureTests
{
    /// <summary>Passes every call on to <see cref="Inner"/> and keeps copies of each layer's q, k and bias for the naive recomputation.</summary>
    sealed class Recorder(IAttentionHook inner) : IAttentionHook, IDisposable
    {
        public IAttentionHook Inner { get; } = inner;
        public List<(AttentionSite Site, float[] Q, int[] QShape, float[] K, float Scale, float[]? Bias, int[]? BiasShape)> Calls { get; } = [];

        public Tensor? ScoreBias(AttentionSite site) => Inner.ScoreBias(site);

        public void Observe(AttentionSite site, Tensor q, Tensor k, float scale, Tensor? bias)
        {
            using var qc = q.Contiguous();
            using var kc = k.Contiguous();
            using var bc = bias?.Contiguous();
            Calls.Add((site, qc.ToArray(), q.ShapeArray(), kc.ToArray(), scale, bc?.ToArray(), bias?.ShapeArray()));
            Inner.Observe(site, q, k, scale, bias);
        }

        public void Dispose() { }
    }

    sealed class Case : IDisposable
    {
        readonly GoldenModule _golden = new("unet_text_image_a");
        public UNet2DConditionModel Unet { get; }
        public Tensor Sample { get; }
        readonly Tensor _ehs, _text, _image;
        readonly long[] _timesteps;

        public Case()
        {
            var config = ConfigFile.Load<UNet2DConditionConfig>(_golden.ConfigPath);
            Unet = WeightCursor.Build(_golden.Store, "unet", w => new UNet2DConditionModel(config, w));
            Sample = _golden.Input("sample");
            _ehs = _golden.Input("encoder_hidden_states");
            _text = _golden.Input("added_cond_kwargs.text_embeds");
            _image = _golden.Input("added_cond_kwargs.image_embeds");
            _timesteps = _golden.Int64("in.timestep");
        }

        public int ContextTokens => TextImageProjection.NumImageTextEmbeds + _ehs.Size(1);

        public float[] Run(IAttentionHook? hook)
        {
            using var y = Unet.Forward(Sample, _timesteps, _ehs, _text, _image, attention: hook);
            return y.ToArray();
        }

        public void Dispose()
        {
            Unet.Dispose();
            foreach (var t in new[] { Sample, _ehs, _text, _image }) t.Dispose();
            _golden.Dispose();
        }
    }

    static DecoderAttention Hook(Case c, DecodeOptions options) =>
        DecoderAttention.For(options, null, [0, 0], cfg: false, c.Sample.Size(2), c.Sample.Size(3))!;

    /// <summary>softmax over all keys, in double, of query i of head h of batch row b; bias read with broadcasting.</summary>
    static double[] NaiveRow(float[] q, int[] qShape, float[] k, float scale, float[]? bias, int[]? biasShape, int b, int h, int i, int keys)
    {
        int heads = qShape[1], lq = qShape[2], d = qShape[3];
        var s = new double[keys];
        for (int j = 0; j < keys; j++)
        {
            double dot = 0;
            for (int t = 0; t < d; t++) dot += (double)q[((b * heads + h) * lq + i) * d + t] * k[((b * heads + h) * keys + j) * d + t];
            s[j] = dot * scale;
            if (bias != null)
            {
                int bb = biasShape![0] == 1 ? 0 : b, bh = biasShape[1] == 1 ? 0 : h, bi = biasShape[2] == 1 ? 0 : i;
                s[j] += bias[((bb * biasShape[1] + bh) * biasShape[2] + bi) * biasShape[3] + j];
            }
        }
        double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
        return s.Select(v => Math.Exp(v - max) / sum).ToArray();
    }

    static void AssertRawMatchesNaive(Recorder recorder, AttentionRecording recording)
    {
        var raw = Assert.Single(recording.Raw!);
        Assert.Equal(recorder.Calls.Count, raw.Count);
        Assert.NotEmpty(raw);
        for (int c = 0; c < raw.Count; c++)
        {
            var (site, q, qShape, k, scale, bias, biasShape) = recorder.Calls[c];
            var layer = raw[c];
            Assert.Equal(site.Layer, layer.Layer);
            for (int b = 0; b < 2; b++)
                for (int h = 0; h < site.Heads; h++)
                    for (int i = 0; i < site.Queries; i++)
                    {
                        var p = NaiveRow(q, qShape, k, scale, bias, biasShape, b, h, i, site.Keys);
                        int y = i / site.Width, x = i % site.Width;
                        double captured = 0;
                        for (int j = 0; j < site.ContextTokens; j++)
                        {
                            Assert.Equal(p[j], layer.At(b, h, j, y, x), 5e-6);
                            captured += layer.At(b, h, j, y, x);
                        }
                        Assert.Equal(p.Skip(site.ContextTokens).Sum(), layer.At(b, h, site.ContextTokens, y, x), 5e-6);
                        Assert.Equal(1.0, captured + layer.At(b, h, site.ContextTokens, y, x), 1e-5);
                    }
        }
    }

    [Fact]
    public void CapturedMapsMatchANaiveSoftmaxOfQAndKAndSumToOne()
    {
        using var c = new Case();
        var plain = c.Run(null);
        using var hook = Hook(c, new DecodeOptions { AttentionCapture = new() { KeepRaw = true } });
        var recorder = new Recorder(hook);
        hook.BeginStep();
        var captured = c.Run(recorder);
        hook.EndStep();
        Assert.Equal(plain, captured);   // capture only looks: bit for bit the same output
        var recording = hook.Recording([c.Sample.Size(0)])!;
        AssertRawMatchesNaive(recorder, recording);

        // The step maps: every latent position's planes (context keys + the image's own) sum to one.
        var step = Assert.Single(recording.Steps);
        int plane = c.Sample.Size(2) * c.Sample.Size(3), keys1 = c.ContextTokens + 1;
        foreach (var row in step)
        {
            Assert.Equal(keys1 * plane, row.Length);
            for (int i = 0; i < plane; i++) Assert.Equal(1.0, Enumerable.Range(0, keys1).Sum(k => (double)row[k * plane + i]), 1e-5);
        }
    }

    [Theory]
    [InlineData(false, 3f)]
    [InlineData(true, 0.25f)]
    public void ReweightingBiasesTheChosenKeysAndTheCaptureSeesIt(bool inRegion, float scale)
    {
        using var c = new Case();
        var plain = c.Run(null);
        var reweight = new AttentionReweightOptions { ImageTokens = true, Scale = scale, Region = inRegion ? new(0, 0, 0.5f, 1f) : null };
        using var hook = Hook(c, new DecodeOptions { AttentionCapture = new() { KeepRaw = true }, AttentionReweight = reweight });
        var recorder = new Recorder(hook);
        hook.BeginStep();
        var edited = c.Run(recorder);
        hook.EndStep();
        Assert.NotEqual(plain, edited);
        Assert.All(recorder.Calls, call => Assert.NotNull(call.Bias));
        var (site, _, _, _, _, bias, shape) = recorder.Calls[0];
        Assert.Equal(MathF.Log(scale), bias![0 * shape![3] + 0]);
        Assert.Equal(0f, bias[TextImageProjection.NumImageTextEmbeds]);        // a text key is left alone
        if (inRegion)
        {
            Assert.Equal(site.Queries, shape[2]);
            Assert.Equal(0f, bias[(site.Width - 1) * shape[3]]);                  // the right half is outside the region
        }
        AssertRawMatchesNaive(recorder, hook.Recording([1])!);
    }

    [Fact]
    public void ScaleOneIsThePlainRunBitForBit()
    {
        using var c = new Case();
        var plain = c.Run(null);
        using var hook = Hook(c, new DecodeOptions { AttentionReweight = new() { ImageTokens = true, Scale = 1f } });
        hook.BeginStep();
        Assert.Equal(plain, c.Run(hook));
        hook.EndStep();
        Assert.Null(hook.Recording([1]));
    }
}
