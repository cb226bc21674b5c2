using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// The UNet attention hook of one decoder run: re-weights the attention to a word or the image tokens
/// (<see cref="AttentionReweightOptions"/>) and captures per-token maps (<see cref="AttentionCaptureOptions"/>).
/// Only the conditional rows are touched: with guidance the batch is [negative rows, conditional rows].
/// Made only when one of the two options is given.
/// </summary>
internal sealed class DecoderAttention : IAttentionHook, IDisposable
{
    /// <summary>Queries per score block of the capture, times heads and keys: bounds its scratch to 16 MB.</summary>
    const long ScoreBlockFloats = 1 << 22;

    readonly int _rows, _condOffset, _latentH, _latentW;
    readonly AttentionCaptureOptions? _capture;
    readonly AttentionReweightOptions? _reweight;
    readonly IReadOnlyList<int[]> _reweightKeys;   // per conditional row: the context keys whose attention is scaled
    readonly Dictionary<(int H, int W), Tensor> _biases = [];
    readonly List<float[][]> _steps = [];            // [step][row] → (keys + 1) × latent h × w
    readonly List<List<AttentionLayerCapture>> _raw = [];
    float[][]? _step;
    int _stepLayers, _contextTokens;
    readonly List<(string Layer, int Height, int Width, int Heads)> _layers = [];

    DecoderAttention(AttentionCaptureOptions? capture, AttentionReweightOptions? reweight, IReadOnlyList<int[]> reweightKeys, int rows, bool cfg, int latentH, int latentW)
    {
        _capture = capture;
        _reweight = reweight;
        _reweightKeys = reweightKeys;
        _rows = rows;
        _condOffset = cfg ? rows : 0;
        _latentH = latentH;
        _latentW = latentW;
    }

    /// <summary>The hook for <paramref name="options"/>, or null when the run neither captures nor re-weights.</summary>
    public static DecoderAttention? For(DecodeOptions options, IReadOnlyList<Tokenization>? promptTokens, IReadOnlyList<int> rowPrompts, bool cfg, int latentH, int latentW)
    {
        var (capture, reweight) = (options.AttentionCapture, options.AttentionReweight);
        if (capture == null && reweight == null) return null;
        var keys = reweight == null ? [] : rowPrompts.Select(p => ReweightKeys(reweight, promptTokens, p)).ToList();
        return new DecoderAttention(capture, reweight, keys, rowPrompts.Count, cfg, latentH, latentW);
    }

    /// <summary>Context keys are [10 image tokens | 77 text positions]: the image tokens, or the positions of every occurrence of the word.</summary>
    static int[] ReweightKeys(AttentionReweightOptions reweight, IReadOnlyList<Tokenization>? promptTokens, int prompt)
    {
        const int imageTokens = TextImageProjection.NumImageTextEmbeds;
        if (reweight.ImageTokens) return Enumerable.Range(0, imageTokens).ToArray();
        var tokens = promptTokens?[prompt] ?? throw new ArgumentException($"Decoder: attention_reweight of \"{reweight.Word}\" needs the prompt's text; the decoder was given token ids only.");
        var words = PromptWords.Of(tokens);
        var matches = PromptWords.Matching(words, reweight.Word!);
        if (matches.Count == 0)
            throw new ArgumentException($"Decoder: attention_reweight word \"{reweight.Word}\" is not a word of the prompt \"{tokens.Text}\" (its words: {string.Join(", ", words.Select(w => $"\"{w.Text}\""))}).");
        var positions = matches.SelectMany(w => w.InputPositions).Distinct().Select(p => imageTokens + p).ToArray();
        if (positions.Length == 0)
            throw new ArgumentException($"Decoder: attention_reweight word \"{reweight.Word}\" lies past the {DecoderPipeline.TextLength}-token input of \"{tokens.Text}\" (truncated).");
        return positions;
    }

    public void BeginStep()
    {
        if (_capture == null) return;
        _step = null;
        _stepLayers = 0;
        if (_capture.KeepRaw) _raw.Add([]);
    }

    public void EndStep()
    {
        if (_step == null) return;
        float inverse = 1f / _stepLayers;
        foreach (var row in _step)
            for (int i = 0; i < row.Length; i++) row[i] *= inverse;
        _steps.Add(_step);
        _step = null;
    }

    public Tensor? ScoreBias(AttentionSite site)
    {
        if (_reweight == null || _reweight.Scale == 1f) return null;     // scale 1: the plain run, bit for bit
        if (!_biases.TryGetValue((site.Height, site.Width), out var bias))
            _biases[(site.Height, site.Width)] = bias = BuildBias(site);
        return bias.Alias();
    }

    /// <summary>[B, 1, 1 or HW, keys]: ln(scale) on the chosen keys of the conditional rows (where the region says), 0 elsewhere.</summary>
    Tensor BuildBias(AttentionSite site)
    {
        var r = _reweight!;
        float log = MathF.Log(r.Scale);
        int batch = _condOffset + _rows, queries = r.Region == null ? 1 : site.Queries, keys = site.Keys;
        var bias = Tensor.Zeros(batch, 1, queries, keys);
        var data = bias.AsSpan();
        for (int row = 0; row < _rows; row++)
            for (int q = 0; q < queries; q++)
            {
                if (r.Region is { } region)
                {
                    float x = (q % site.Width + 0.5f) / site.Width, y = (q / site.Width + 0.5f) / site.Height;
                    if (region.Contains(x, y) != r.Inside) continue;
                }
                long at = ((long)(_condOffset + row) * queries + q) * keys;
                foreach (int k in _reweightKeys[row]) data[(int)(at + k)] = log;
            }
        return bias;
    }

    public void Observe(AttentionSite site, Tensor q, Tensor k, float scale, Tensor? bias)
    {
        if (_capture == null) return;
        int keys1 = site.ContextTokens + 1, hw = site.Queries, latent = _latentH * _latentW;
        if (_step == null)
        {
            _contextTokens = site.ContextTokens;
            _step = Enumerable.Range(0, _rows).Select(_ => new float[keys1 * latent]).ToArray();
        }
        if (_steps.Count == 0 && _layers.All(l => l.Layer != site.Layer)) _layers.Add((site.Layer, site.Height, site.Width, site.Heads));
        var raw = _capture.KeepRaw ? new float[_rows][] : null;
        for (int row = 0; row < _rows; row++)
        {
            var perHead = Probabilities(site, q, k, scale, bias, _condOffset + row);     // [heads][keys + 1][HW]
            var mean = new float[keys1 * hw];
            foreach (var head in perHead)
                for (int i = 0; i < mean.Length; i++) mean[i] += head[i];
            for (int i = 0; i < mean.Length; i++) mean[i] /= site.Heads;
            var upsampled = Resample.Bilinear(mean, keys1, site.Height, site.Width, _latentH, _latentW);
            var acc = _step[row];
            for (int i = 0; i < acc.Length; i++) acc[i] += upsampled[i];
            if (raw != null) raw[row] = perHead.SelectMany(h => h).ToArray();
        }
        _stepLayers++;
        if (raw != null) _raw[^1].Add(new AttentionLayerCapture(site.Layer, site.Height, site.Width, site.Heads, keys1, raw));
    }

    /// <summary>
    /// softmax(scale·q kᵀ + bias) of one batch row, recomputed in blocks of queries (the fused kernel keeps no
    /// probabilities): per head, the context keys' probabilities and, last, the total the image's own keys took.
    /// </summary>
    static float[][] Probabilities(AttentionSite site, Tensor q, Tensor k, float scale, Tensor? bias, int b)
    {
        int heads = site.Heads, hw = site.Queries, ctx = site.ContextTokens, keys = site.Keys, keys1 = ctx + 1;
        var result = Enumerable.Range(0, heads).Select(_ => new float[keys1 * hw]).ToArray();
        int block = (int)Math.Clamp(ScoreBlockFloats / ((long)heads * keys), 1, hw);
        using var qb = q.Slice(0, b, b + 1);
        using var kb = k.Slice(0, b, b + 1);
        using var kt = kb.Transpose(2, 3);                                             // [1, heads, d, keys]
        using var biasRow = bias?.Slice(0, b, b + 1);
        for (int q0 = 0; q0 < hw; q0 += block)
        {
            int count = Math.Min(block, hw - q0);
            using var qc = qb.Slice(2, q0, q0 + count);
            using var dots = F.MatMul(qc, kt);                                          // [1, heads, count, keys]
            using var scaled = F.Mul(dots, scale);
            using var biasBlock = biasRow == null ? null : biasRow.Size(2) == 1 ? biasRow.Alias() : biasRow.Slice(2, q0, q0 + count);
            using var biased = biasBlock == null ? scaled.Alias() : F.Add(scaled, biasBlock);
            using var p = F.Softmax(biased, -1);
            var probs = p.AsSpan();
            for (int h = 0; h < heads; h++)
            {
                var dst = result[h];
                for (int i = 0; i < count; i++)
                {
                    var rowProbs = probs.Slice((h * count + i) * keys, keys);
                    int query = q0 + i;
                    for (int j = 0; j < ctx; j++) dst[j * hw + query] = rowProbs[j];
                    float self = 0;
                    foreach (var v in rowProbs[ctx..]) self += v;
                    dst[ctx * hw + query] = self;
                }
            }
        }
        return result;
    }

    /// <summary>What was captured (null without capture), for <paramref name="timesteps"/>.</summary>
    public AttentionRecording? Recording(IReadOnlyList<int> timesteps) => _capture == null ? null
        : new AttentionRecording(timesteps, _layers, _contextTokens, _latentH, _latentW, _steps, _capture.KeepRaw ? _raw : null, _reweight);

    public void Dispose()
    {
        foreach (var b in _biases.Values) b.Dispose();
        _biases.Clear();
    }
}

/// <summary>One layer's raw capture of one step: per conditional row, [heads][context keys + self][h·w].</summary>
public sealed record AttentionLayerCapture(string Layer, int Height, int Width, int Heads, int Keys, IReadOnlyList<float[]> Rows)
{
    /// <summary>The probability that query position (y, x) of head <paramref name="head"/> gives key <paramref name="key"/> (the last key: all the image's own positions).</summary>
    public float At(int row, int head, int key, int y, int x) => Rows[row][(head * Keys + key) * Height * Width + y * Width + x];
}

/// <summary>
/// The token-level capture of a decoder run: per step and conditional row, (context tokens + 1) planes of latent size,
/// each the mean over the heads and the added-KV layers of the attention that latent position gives that key (the 10
/// image tokens, then the 77 text positions, then — the last plane — the image's own positions together).
/// </summary>
public sealed record AttentionRecording(IReadOnlyList<int> Timesteps, IReadOnlyList<(string Layer, int Height, int Width, int Heads)> Layers, int ContextTokens,
    int LatentHeight, int LatentWidth, IReadOnlyList<float[][]> Steps, IReadOnlyList<List<AttentionLayerCapture>>? Raw, AttentionReweightOptions? Reweight)
{
    /// <summary>Bytes held by the maps (and the raw captures when kept).</summary>
    public long Bytes => 4L * (Steps.Sum(s => s.Sum(r => (long)r.Length)) + (Raw?.Sum(s => s.Sum(l => l.Rows.Sum(r => (long)r.Length))) ?? 0));
}

/// <summary>Bilinear resampling of stacked planes, as torch's interpolate(mode="bilinear", align_corners=False).</summary>
internal static class Resample
{
    public static float[] Bilinear(float[] src, int planes, int h, int w, int outH, int outW)
    {
        if (h == outH && w == outW) return src;
        var dst = new float[planes * outH * outW];
        var (ys0, ys1, yw) = Taps(h, outH);
        var (xs0, xs1, xw) = Taps(w, outW);
        for (int p = 0; p < planes; p++)
        {
            int s = p * h * w, d = p * outH * outW;
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                {
                    float top = src[s + ys0[y] * w + xs0[x]] * (1 - xw[x]) + src[s + ys0[y] * w + xs1[x]] * xw[x];
                    float bottom = src[s + ys1[y] * w + xs0[x]] * (1 - xw[x]) + src[s + ys1[y] * w + xs1[x]] * xw[x];
                    dst[d + y * outW + x] = top * (1 - yw[y]) + bottom * yw[y];
                }
        }
        return dst;
    }

    static (int[] Lo, int[] Hi, float[] Weight) Taps(int size, int outSize)
    {
        var (lo, hi, weight) = (new int[outSize], new int[outSize], new float[outSize]);
        float ratio = (float)size / outSize;
        for (int i = 0; i < outSize; i++)
        {
            float src = Math.Max((i + 0.5f) * ratio - 0.5f, 0);
            lo[i] = Math.Min((int)src, size - 1);
            hi[i] = Math.Min(lo[i] + 1, size - 1);
            weight[i] = src - lo[i];
        }
        return (lo, hi, weight);
    }
}
