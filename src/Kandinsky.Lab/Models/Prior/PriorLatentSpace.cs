namespace Kandinsky.Lab.Models.Prior;

/// <summary>
/// The prior denoises in a normalized space: its latents are CLIP image embeddings minus clip_mean, divided by
/// clip_std, per dimension (post_process_latents undoes it at the end). This map takes a step's latents to CLIP
/// space, where they can be compared with text embeddings and concept probes.
/// </summary>
public sealed class PriorLatentSpace
{
    public PriorLatentSpace(float[] clipMean, float[] clipStd)
    {
        if (clipMean.Length != clipStd.Length) throw new ArgumentException($"PriorLatentSpace: clip_mean has {clipMean.Length} values, clip_std {clipStd.Length}.");
        ClipMean = clipMean;
        ClipStd = clipStd;
    }

    public IReadOnlyList<float> ClipMean { get; }
    public IReadOnlyList<float> ClipStd { get; }

    /// <summary>The map of a prior network (its clip_mean and clip_std weights, [1, D] each).</summary>
    public static PriorLatentSpace Of(PriorTransformer prior) => new(prior.ClipMean.ToArray(), prior.ClipStd.ToArray());

    /// <summary>x · clip_std + clip_mean.</summary>
    public float[] ToEmbedding(ReadOnlySpan<float> latent)
    {
        if (latent.Length != ClipMean.Count) throw new ArgumentException($"PriorLatentSpace: latent has {latent.Length} values, expected {ClipMean.Count}.");
        var e = new float[latent.Length];
        for (int i = 0; i < e.Length; i++) e[i] = latent[i] * ClipStd[i] + ClipMean[i];
        return e;
    }
}
