using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Clip;

/// <summary>The outputs of <see cref="ClipTextModelWithProjection"/>; the caller disposes them.</summary>
public sealed record ClipTextOutput(Tensor TextEmbeds, Tensor LastHiddenState) : ModelOutput(TextEmbeds, LastHiddenState);

/// <summary>
/// transformers CLIPTextModelWithProjection: token + position embeddings, a pre-LN encoder under a causal mask
/// (plus the padding mask when given), final_layer_norm, and text_projection (no bias) of the pooled token.
/// </summary>
public sealed class ClipTextModelWithProjection : Module
{
    /// <summary>Weight file name inside a component folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    public ClipTextModelWithProjection(ClipTextConfig config, WeightCursor w)
    {
        Config = config.Validate();
        int hidden = config.HiddenSize;
        float eps = (float)config.LayerNormEps;
        var tm = w.Push("text_model");
        TokenEmbedding = Own(tm.Push("embeddings").Push("token_embedding").Get("weight", config.VocabSize, hidden));
        PositionEmbedding = Own(tm.Push("embeddings").Push("position_embedding").Get("weight", config.MaxPositionEmbeddings, hidden));
        var layers = tm.Push("encoder").Push("layers");
        Layers = Own(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(i => new ClipEncoderLayer(layers.Push(i), hidden, config.IntermediateSize, config.NumAttentionHeads, eps, config.HiddenAct))
            .ToArray());
        FinalLayerNorm = Own(new LayerNorm(tm.Push("final_layer_norm"), hidden, eps));
        TextProjection = Own(new Linear(w.Push("text_projection"), hidden, config.ProjectionDim, bias: false));
    }

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static ClipTextModelWithProjection Load(string folder) => ComponentLoader.Load<ClipTextConfig, ClipTextModelWithProjection>(folder, (c, w) => new(c, w));


    public ClipTextConfig Config { get; }
    public Tensor TokenEmbedding { get; }      // [vocab, hidden]
    public Tensor PositionEmbedding { get; }   // [max_positions, hidden]
    public ClipEncoderLayer[] Layers { get; }
    public LayerNorm FinalLayerNorm { get; }
    public Linear TextProjection { get; }

    /// <summary>
    /// input_ids [B, L], attention_mask [B, L] (1 = token, 0 = padding) or null →
    /// text_embeds [B, projection_dim] and last_hidden_state [B, L, hidden] (all positions).
    /// Traces: text_model.embeddings, text_model.encoder.layers.i, pooled_output.
    /// </summary>
    public ClipTextOutput Forward(long[,] inputIds, long[,]? attentionMask = null, Action<string, Tensor>? trace = null)
    {
        int batch = inputIds.GetLength(0), length = inputIds.GetLength(1);
        if (length > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"CLIP text: sequence length {length} exceeds max_position_embeddings {Config.MaxPositionEmbeddings}.");
        if (attentionMask != null && (attentionMask.GetLength(0) != batch || attentionMask.GetLength(1) != length))
            throw new ArgumentException($"CLIP text: attention_mask is [{attentionMask.GetLength(0)}, {attentionMask.GetLength(1)}], expected [{batch}, {length}] like input_ids.");
        var ids = TokenIds.Flatten(inputIds, Config.VocabSize, "CLIP text input_ids");

        // 1. embeddings: token + position (position ids 0..L-1)
        using var tokens = F.Embedding(ids, [batch, length], TokenEmbedding);                // [B, L, hidden]
        using var positions = PositionEmbedding.Slice(0, 0, length);                          // [L, hidden]
        var h = F.Add(tokens, positions);
        trace?.Invoke("text_model.embeddings", h);

        // 2. encoder under the causal (+ padding) mask
        using var mask = BuildMask(attentionMask, batch, length);                            // [B, 1, L, L]
        for (int i = 0; i < Layers.Length; i++)
        {
            var next = Layers[i].Forward(h, mask);
            h.Dispose();
            h = next;
            trace?.Invoke($"text_model.encoder.layers.{i}", h);
        }
        Tensor lastHidden;
        using (h) lastHidden = FinalLayerNorm.Forward(h);                                   // [B, L, hidden]

        // 3. pooled token → projection
        using var pooled = Pool(lastHidden, inputIds);                                       // [B, hidden]
        trace?.Invoke("pooled_output", pooled);
        return new ClipTextOutput(TextProjection.Forward(pooled), lastHidden);
    }

    /// <summary>
    /// The pooled position per row: with the legacy eos_token_id 2, argmax(input_ids) (first occurrence: the real EOS is
    /// the largest id of the CLIP vocabulary); otherwise the first position holding eos_token_id (0 if none).
    /// </summary>
    public int[] PooledPositions(long[,] inputIds)
    {
        int batch = inputIds.GetLength(0), length = inputIds.GetLength(1);
        var positions = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int best = 0;
            for (int j = 0; j < length; j++)
            {
                if (Config.EosTokenId == 2) { if (inputIds[b, j] > inputIds[b, best]) best = j; }
                else if (inputIds[b, j] == Config.EosTokenId) { best = j; break; }
            }
            positions[b] = best;
        }
        return positions;
    }

    Tensor Pool(Tensor lastHidden, long[,] inputIds)
    {
        var positions = PooledPositions(inputIds);
        var rows = new Tensor[positions.Length];
        try
        {
            for (int b = 0; b < positions.Length; b++) rows[b] = lastHidden.Select(0, b).Select(0, positions[b]);
            return F.Stack(rows, 0);
        }
        finally
        {
            foreach (var r in rows) r?.Dispose();
        }
    }

    /// <summary>float32.min above the diagonal, plus float32.min on padded keys (the two add up as in the reference).</summary>
    static Tensor BuildMask(long[,]? attentionMask, int batch, int length)
    {
        var mask = Tensor.Zeros(batch, 1, length, length);
        var m = mask.AsSpan();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < length; i++)
                for (int j = 0; j < length; j++)
                {
                    float causal = j > i ? float.MinValue : 0f;
                    float padding = attentionMask != null && attentionMask[b, j] == 0 ? float.MinValue : 0f;
                    m[(b * length + i) * length + j] = causal + padding;
                }
        return mask;
    }
}
