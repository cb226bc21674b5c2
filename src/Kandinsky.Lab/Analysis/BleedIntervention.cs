using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Analysis;

/// <summary>What one bleed run feeds the stages: the prompt, the prior's negative prompt and both stages' options.</summary>
public sealed record BleedPlan
{
    public required string Prompt { get; init; }
    /// <summary>The prior's negative prompt (null: guidance against "", the decoder's negative the zero-image embedding).</summary>
    public string? PriorNegativePrompt { get; init; }
    public required PriorOptions Prior { get; init; }
    /// <summary>The decoder's options: where a decoder-side intervention (attention re-weighting) hooks in.</summary>
    public required DecodeOptions Decode { get; init; }
}

/// <summary>What an intervention may consult while it edits a run: the lab, the probes and the run's plan.</summary>
public sealed record BleedContext(KandinskyLab Lab, ClipZeroShotReader Probes, BleedPlan Plan);

/// <summary>
/// Something that may remove a bleed, measured in the same ledger as the plain run: it changes the plan (the text,
/// a negative prompt, the decoder's options) and/or the prior's image embeddings before they are decoded. Every
/// intervention at strength 0 reproduces the plain run bit for bit.
/// </summary>
public interface IBleedIntervention
{
    /// <summary>A unique label in the ledger ("slider α=0.5").</summary>
    string Name { get; }
    BleedPlan Plan(BleedPlan plan) => plan;
    /// <summary>The image embeddings to decode instead of the prior's; null: the prior's, unchanged.</summary>
    ImageEmbedding? EditEmbedding(ImageEmbedding embeds, BleedContext context) => null;
}

/// <summary>The plain run (the ledger's baseline row).</summary>
public sealed class NoIntervention : IBleedIntervention
{
    public static readonly NoIntervention Instance = new();
    public string Name => "none";
}

/// <summary>Names the attribute explicitly: the run uses <paramref name="prompt"/> instead (e.g. "… blue hair and brown eyes").</summary>
public sealed class NameAttribute(string prompt, string? name = null) : IBleedIntervention
{
    public string Prompt { get; } = prompt;
    public string Name { get; } = name ?? "name the attribute";
    public BleedPlan Plan(BleedPlan plan) => plan with { Prompt = Prompt };
}

/// <summary>A negative prompt on the prior only (its guidance pushes away from it; the decoder keeps its own "" negative text).</summary>
public sealed class PriorNegativePrompt(string negative) : IBleedIntervention
{
    public string Negative { get; } = negative;
    public string Name => $"prior negative \"{Negative}\"";
    public BleedPlan Plan(BleedPlan plan) => plan with { PriorNegativePrompt = Negative };
}

/// <summary>
/// A training-free concept slider in CLIP image space: each embedding e becomes e + α·|e|·(p̂ₐ − p̂ᵦ), with p̂ the unit
/// CLIP text embeddings of two probes (toward "a person with brown eyes", away from "a person with blue eyes"),
/// so α is a fraction of the embedding's own length.
/// </summary>
public sealed class ConceptSlider(string toward, string away, float alpha) : IBleedIntervention
{
    public string Toward { get; } = toward;
    public string Away { get; } = away;
    public float Alpha { get; } = alpha;
    public string Name => $"slider α={Alpha:0.###} (→ \"{Toward}\", ← \"{Away}\")";

    public ImageEmbedding EditEmbedding(ImageEmbedding embeds, BleedContext context)
    {
        using var probes = context.Lab.EncodeText([Toward, Away]);
        var a = Unit(probes.ClipTextEmbedding(0));
        var b = Unit(probes.ClipTextEmbedding(1));
        var values = embeds.Tensor.ToArray();
        int dim = embeds.Dim;
        for (int r = 0; r < embeds.Count; r++)
        {
            float length = (float)embeds.Norm(r);
            for (int i = 0; i < dim; i++) values[r * dim + i] += Alpha * length * (a[i] - b[i]);
        }
        return new ImageEmbedding(Tensors.Tensor.FromArray(values, embeds.Count, dim), embeds.Labels.Select(l => $"{l} ({Name})").ToList());
    }

    static float[] Unit(float[] v)
    {
        float n = (float)Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => n == 0 ? 0 : x / n).ToArray();
    }
}

/// <summary>
/// diffusers-style interpolation (<see cref="KandinskyLab.Interpolate"/>): the run's own prior embedding weighted
/// 1 − Σ wᵢ, plus each other text's prior embedding (same seed and options) weighted wᵢ.
/// </summary>
public sealed class Interpolation(IReadOnlyList<(string Text, float Weight)> others) : IBleedIntervention
{
    public IReadOnlyList<(string Text, float Weight)> Others { get; } = others;
    public string Name => "interpolate " + string.Join(" + ", Others.Select(o => $"{o.Weight:0.###}·\"{o.Text}\""));

    public ImageEmbedding EditEmbedding(ImageEmbedding embeds, BleedContext context)
    {
        var own = 1 - Others.Sum(o => o.Weight);
        if (Others.All(o => o.Weight == 0)) return ImageEmbedding.Interpolate([embeds], [own]);
        var plan = context.Plan;
        var (mixed, negative) = context.Lab.Interpolate(Others.Select(o => InterpolationItem.Of(o.Text)).ToList(), Others.Select(o => o.Weight).ToList(),
            plan.Prior, plan.PriorNegativePrompt ?? "");
        using (mixed)
        using (negative)
            return ImageEmbedding.Interpolate([embeds, mixed], [own, 1]);
    }
}

/// <summary>
/// Prompt-to-Prompt-style attention re-weighting in the decoder (<see cref="AttentionReweightOptions"/>): the
/// conditional rows' attention to a word of the prompt, or to the 10 image tokens, scaled by a factor — everywhere,
/// or inside or outside a region. Scale 1 (strength 0) is the plain run, bit for bit.
/// </summary>
public sealed class AttentionReweighting(AttentionReweightOptions reweight) : IBleedIntervention
{
    public AttentionReweightOptions Reweight { get; } = reweight.Validate();
    public string Name => $"attention {Reweight}";
    public BleedPlan Plan(BleedPlan plan) => plan with { Decode = plan.Decode with { AttentionReweight = Reweight } };
}
