using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.TextEncoders;

/// <summary>The outputs of <see cref="MultilingualClip"/>; the caller disposes them.</summary>
public sealed record MultilingualClipOutput(Tensor PromptEmbeds, Tensor LastHiddenState) : ModelOutput(PromptEmbeds, LastHiddenState);

/// <summary>
/// Kandinsky's MultilingualCLIP: an XLM-RoBERTa encoder (<c>transformer.*</c>) and <c>LinearTransformation</c> of the
/// masked mean of its last hidden states. The XLM-R pooler (<c>transformer.pooler.*</c>) is stored but never used.
/// </summary>
public sealed class MultilingualClip : Module
{
    /// <summary>Weight file name inside a component folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    public MultilingualClip(MultilingualClipConfig config, WeightCursor w)
    {
        Config = config.Validate();
        int hidden = config.HiddenSize;
        var emb = w.Push("transformer").Push("embeddings");
        WordEmbeddings = Own(emb.Push("word_embeddings").Get("weight", config.VocabSize, hidden));
        PositionEmbeddings = Own(emb.Push("position_embeddings").Get("weight", config.MaxPositionEmbeddings, hidden));
        TokenTypeEmbeddings = Own(emb.Push("token_type_embeddings").Get("weight", config.TypeVocabSize, hidden));
        EmbeddingsLayerNorm = Own(new LayerNorm(emb.Push("LayerNorm"), hidden, (float)config.LayerNormEps));
        var layers = w.Push("transformer").Push("encoder").Push("layer");
        Layers = Own(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new XlmRobertaLayer(layers.Push(i), config)).ToArray());
        w.Push("transformer").Ignore("pooler");   // XLMRobertaPooler: MultilingualCLIP never calls it
        LinearTransformation = Own(new Linear(w.Push("LinearTransformation"), config.TransformerDimensions, config.NumDims));
    }

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static MultilingualClip Load(string folder) => ComponentLoader.Load<MultilingualClipConfig, MultilingualClip>(folder, (c, w) => new(c, w));


    public MultilingualClipConfig Config { get; }
    public Tensor WordEmbeddings { get; }        // [vocab, hidden]
    public Tensor PositionEmbeddings { get; }    // [max_positions, hidden]
    public Tensor TokenTypeEmbeddings { get; }   // [type_vocab, hidden]
    public LayerNorm EmbeddingsLayerNorm { get; }
    public XlmRobertaLayer[] Layers { get; }
    public Linear LinearTransformation { get; }

    /// <summary>
    /// input_ids [B, L], attention_mask [B, L] (1 = token) → prompt_embeds [B, numDims] and last_hidden_state [B, L, hidden]
    /// (all positions, padding included). Traces: transformer.embeddings, transformer.encoder.layer.i, masked_mean.
    /// </summary>
    public MultilingualClipOutput Forward(long[,] inputIds, long[,] attentionMask, Action<string, Tensor>? trace = null)
    {
        int batch = inputIds.GetLength(0), length = inputIds.GetLength(1), hidden = Config.HiddenSize;
        if (attentionMask.GetLength(0) != batch || attentionMask.GetLength(1) != length)
            throw new ArgumentException($"MultilingualCLIP: attention_mask is [{attentionMask.GetLength(0)}, {attentionMask.GetLength(1)}], expected [{batch}, {length}] like input_ids.");
        var ids = TokenIds.Flatten(inputIds, Config.VocabSize, "MultilingualCLIP input_ids");
        var positionIds = PositionIds(inputIds);

        // 1. embeddings: word + token_type[0] + position, LayerNorm
        using var words = F.Embedding(ids, [batch, length], WordEmbeddings);                  // [B, L, hidden]
        using var tokenType = TokenTypeEmbeddings.Select(0, 0);                                 // [hidden]
        using var withType = F.Add(words, tokenType);
        using var positions = F.Embedding(positionIds, [batch, length], PositionEmbeddings);   // [B, L, hidden]
        using var summed = F.Add(withType, positions);
        var h = EmbeddingsLayerNorm.Forward(summed);
        trace?.Invoke("transformer.embeddings", h);

        // 2. encoder with the additive key mask (1 - mask) · float32.min
        using var mask = KeyMask(attentionMask);                                                // [B, 1, 1, L]
        for (int i = 0; i < Layers.Length; i++)
        {
            var next = Layers[i].Forward(h, mask);
            h.Dispose();
            h = next;
            trace?.Invoke($"transformer.encoder.layer.{i}", h);
        }

        // 3. masked mean over positions → LinearTransformation
        using var keep = MaskTensor(attentionMask);                                             // [B, L, 1]
        using var masked = F.Mul(h, keep);
        using var total = F.Sum(masked, [1]);                                                   // [B, hidden]
        using var count = F.Sum(keep, [1]);                                                     // [B, 1]
        using var mean = F.Div(total, count);
        trace?.Invoke("masked_mean", mean);
        return new MultilingualClipOutput(LinearTransformation.Forward(mean), h);
    }

    /// <summary>XLM-R position ids from input_ids: m = (id != pad); pos = cumsum(m) · m + pad (pads get pad, tokens pad + 1, pad + 2, …).</summary>
    public long[] PositionIds(long[,] inputIds)
    {
        int batch = inputIds.GetLength(0), length = inputIds.GetLength(1), pad = Config.PadTokenId;
        var pos = new long[batch * length];
        for (int b = 0; b < batch; b++)
        {
            long running = 0;
            for (int j = 0; j < length; j++)
            {
                bool real = inputIds[b, j] != pad;
                if (real) running++;
                long p = (real ? running : 0) + pad;
                if (p >= Config.MaxPositionEmbeddings)
                    throw new ArgumentException($"MultilingualCLIP: position id {p} at [{b}, {j}] exceeds max_position_embeddings {Config.MaxPositionEmbeddings}; the sequence is too long.");
                pos[b * length + j] = p;
            }
        }
        return pos;
    }

    static Tensor MaskTensor(long[,] attentionMask)
    {
        int batch = attentionMask.GetLength(0), length = attentionMask.GetLength(1);
        var t = Tensor.Empty(batch, length, 1);
        var s = t.AsSpan();
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < length; j++) s[b * length + j] = attentionMask[b, j];
        return t;
    }

    static Tensor KeyMask(long[,] attentionMask)
    {
        int batch = attentionMask.GetLength(0), length = attentionMask.GetLength(1);
        var t = Tensor.Empty(batch, 1, 1, length);
        var s = t.AsSpan();
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < length; j++) s[b * length + j] = (1f - attentionMask[b, j]) * float.MinValue;
        return t;
    }
}
