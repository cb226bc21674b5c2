using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Prior;

/// <summary>
/// diffusers PriorTransformer (the Kandinsky 2.1 / Karlo diffusion prior): predicts the CLIP image embedding from
/// a noisy one, the timestep, the CLIP text embedding and the CLIP text hidden states.
/// </summary>
public sealed class PriorTransformer : Module
{
    /// <summary>Weight file name inside a component folder.</summary>
    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";

    /// <summary>Builds the network from <paramref name="w"/> (keys without prefix, as in diffusion_pytorch_model.safetensors) and checks every key.</summary>
    public PriorTransformer(PriorTransformerConfig config, WeightCursor w)
    {
        Config = config.Validate();
        int inner = config.InnerDim;
        int timeEmbedDim = config.TimeEmbedDim ?? inner;
        int embeddingProjDim = config.EmbeddingProjDim ?? config.EmbeddingDim;
        int clipEmbedDim = config.ClipEmbedDim ?? config.EmbeddingDim;
        int sequence = config.NumEmbeddings + config.AdditionalEmbeddings;

        TimeProj = new Timesteps(inner, flipSinToCos: true, downscaleFreqShift: 0);
        TimeEmbedding = Own(new TimestepEmbedding(w.Push("time_embedding"), inner, timeEmbedDim, outDim: inner));
        ProjIn = Own(new Linear(w.Push("proj_in"), config.EmbeddingDim, inner));
        EmbeddingProj = Own(new Linear(w.Push("embedding_proj"), embeddingProjDim, inner));
        EncoderHiddenStatesProj = Own(new Linear(w.Push("encoder_hidden_states_proj"), config.EmbeddingDim, inner));
        PositionalEmbedding = Own(w.Get("positional_embedding", 1, sequence, inner));
        PrdEmbedding = Own(w.Get("prd_embedding", 1, 1, inner));
        var blocks = w.Push("transformer_blocks");
        TransformerBlocks = Own(Enumerable.Range(0, config.NumLayers)
            .Select(i => new BasicTransformerBlock(blocks.Push(i), inner, config.NumAttentionHeads, config.AttentionHeadDim))
            .ToArray());
        NormOut = Own(new LayerNorm(w.Push("norm_out"), inner, 1e-5f));
        ProjToClipEmbeddings = Own(new Linear(w.Push("proj_to_clip_embeddings"), inner, clipEmbedDim));
        ClipMean = Own(w.Get("clip_mean", 1, clipEmbedDim));
        ClipStd = Own(w.Get("clip_std", 1, clipEmbedDim));
    }

    public PriorTransformerConfig Config { get; }
    public Timesteps TimeProj { get; }
    public TimestepEmbedding TimeEmbedding { get; }
    public Linear ProjIn { get; }
    public Linear EmbeddingProj { get; }
    public Linear EncoderHiddenStatesProj { get; }
    public Tensor PositionalEmbedding { get; }      // [1, L + 4, inner]
    public Tensor PrdEmbedding { get; }             // [1, 1, inner]
    public BasicTransformerBlock[] TransformerBlocks { get; }
    public LayerNorm NormOut { get; }
    public Linear ProjToClipEmbeddings { get; }
    public Tensor ClipMean { get; }                 // [1, clip_dim]
    public Tensor ClipStd { get; }                  // [1, clip_dim]

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static PriorTransformer Load(string folder) => ComponentLoader.Load<PriorTransformerConfig, PriorTransformer>(folder, (c, w) => new(c, w));


    /// <summary>
    /// hidden_states [B, D] (noisy image embedding), timesteps (one per batch item, or one for all),
    /// proj_embedding [B, D] (CLIP text_embeds), encoder_hidden_states [B, L, D] (CLIP last_hidden_state),
    /// attention_mask [B, L] keep mask (nonzero = real token, as the tokenizer gives it) or null → predicted_image_embedding [B, clip_dim].
    /// Traces: time_proj, time_embedding, embedding_proj, encoder_hidden_states_proj, proj_in, transformer_blocks.i, norm_out.
    /// </summary>
    public Tensor Forward(Tensor hiddenStates, ReadOnlySpan<long> timesteps, Tensor projEmbedding, Tensor encoderHiddenStates,
        long[,]? attentionMask = null, Action<string, Tensor>? trace = null)
    {
        int batch = hiddenStates.Size(0), inner = Config.InnerDim, textLen = encoderHiddenStates.Size(1);
        RequireShape(hiddenStates, "hidden_states", batch, Config.EmbeddingDim);
        RequireShape(projEmbedding, "proj_embedding", batch, EmbeddingProj.InFeatures);
        RequireShape(encoderHiddenStates, "encoder_hidden_states", batch, Config.NumEmbeddings, Config.EmbeddingDim);
        if (timesteps.Length != 1 && timesteps.Length != batch)
            throw new ArgumentException($"PriorTransformer: {timesteps.Length} timesteps for a batch of {batch}; give one per batch item or a single one.");
        if (attentionMask != null && (attentionMask.GetLength(0) != batch || attentionMask.GetLength(1) != textLen))
            throw new ArgumentException($"PriorTransformer: attention_mask is [{attentionMask.GetLength(0)}, {attentionMask.GetLength(1)}], expected [{batch}, {textLen}].");

        // 1. time embedding (timesteps broadcast over the batch)
        var steps = new float[batch];
        for (int b = 0; b < batch; b++) steps[b] = timesteps.Length == 1 ? timesteps[0] : timesteps[b];
        using var timeProj = TimeProj.Forward(steps);                            // [B, inner]
        trace?.Invoke("time_proj", timeProj);
        using var timeEmbeddings = TimeEmbedding.Forward(timeProj);               // [B, inner]
        trace?.Invoke("time_embedding", timeEmbeddings);

        // 2. projections of the conditioning
        using var projEmbeddings = EmbeddingProj.Forward(projEmbedding);          // [B, inner]
        trace?.Invoke("embedding_proj", projEmbeddings);
        using var ehs = EncoderHiddenStatesProj.Forward(encoderHiddenStates);     // [B, L, inner]
        trace?.Invoke("encoder_hidden_states_proj", ehs);
        using var proj = ProjIn.Forward(hiddenStates);                            // [B, inner]
        trace?.Invoke("proj_in", proj);

        // 3. sequence [text tokens, proj_embedding, time, hidden_states, prd] + positional embedding
        using var projTok = projEmbeddings.Unsqueeze(1);
        using var timeTok = timeEmbeddings.Unsqueeze(1);
        using var hiddenTok = proj.Unsqueeze(1);
        using var prdTok = PrdEmbedding.Expand(batch, 1, inner);
        using var tokens = F.Cat([ehs, projTok, timeTok, hiddenTok, prdTok], 1);   // [B, L + 4, inner]
        var h = F.Add(tokens, PositionalEmbedding);

        // 4. mask: only with an attention mask, then (1 - mask) · -10000 on the text keys plus a causal -10000
        using var mask = attentionMask == null ? null : BuildMask(attentionMask, tokens.Size(1));   // [B, 1, S, S]

        for (int i = 0; i < TransformerBlocks.Length; i++)
        {
            var next = TransformerBlocks[i].Forward(h, mask);
            h.Dispose();
            h = next;
            trace?.Invoke($"transformer_blocks.{i}", h);
        }
        using (h)
        {
            using var normed = NormOut.Forward(h);                                 // [B, S, inner]
            trace?.Invoke("norm_out", normed);
            using var prd = normed.Select(1, normed.Size(1) - 1);                  // [B, inner] (the prd token)
            return ProjToClipEmbeddings.Forward(prd);                              // [B, clip_dim]
        }
    }

    /// <summary>post_process_latents: x · clip_std + clip_mean.</summary>
    public Tensor PostProcessLatents(Tensor latents)
    {
        using var scaled = F.Mul(latents, ClipStd);
        return F.Add(scaled, ClipMean);
    }

    /// <summary>Additive float mask [B, 1, S, S]: -10000 on padded text keys, 0 on the extra tokens, plus -10000 above the diagonal.</summary>
    static Tensor BuildMask(long[,] keep, int sequence)
    {
        int batch = keep.GetLength(0), textLen = keep.GetLength(1);
        var mask = Tensor.Zeros(batch, 1, sequence, sequence);
        var m = mask.AsSpan();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < sequence; i++)
                for (int j = 0; j < sequence; j++)
                {
                    float padding = j < textLen ? (1f - (keep[b, j] != 0 ? 1f : 0f)) * -10000f : 0f;
                    float causal = j > i ? -10000f : 0f;
                    m[(b * sequence + i) * sequence + j] = padding + causal;
                }
        return mask;
    }

    static void RequireShape(Tensor t, string name, params int[] expected)
    {
        if (!t.Shape.SequenceEqual(expected))
            throw new ArgumentException($"PriorTransformer: {name} has shape {t.ShapeString}, expected {ShapeUtil.Format(expected)}.");
    }
}
