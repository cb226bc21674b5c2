using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Analysis;

/// <summary>
/// One prior step seen from outside: the norms of the noisy latents and of the predicted clean embedding x̂₀, and
/// the cosine of x̂₀ to the final embedding, to the prompt's CLIP text embedding and to each probe (the last two
/// are null when the trajectory could not be mapped to CLIP space).
/// </summary>
public sealed record PriorStepMetrics(int Step, int Timestep, double LatentNorm, double PredictionNorm, double CosineToFinal, double? CosineToText,
    IReadOnlyList<double> CosineToProbes);

/// <summary>The analysis of one image row of a <see cref="PriorTrajectory"/>: per-step metrics, their plot, and the path of x̂₀ in a projector.</summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class PriorTrajectoryAnalysis
{
    internal PriorTrajectoryAnalysis(string label, int row, IReadOnlyList<PriorStepMetrics> steps, IReadOnlyList<(string Label, float[] Vector)> probes,
        bool inClipSpace, IReadOnlyList<float[]> predictions, float[] final, float[] text)
    {
        Label = label;
        Row = row;
        Steps = steps;
        Probes = probes;
        InClipSpace = inClipSpace;
        Predictions = predictions;
        Final = final;
        Text = text;
    }

    public string Label { get; }
    public int Row { get; }
    public IReadOnlyList<PriorStepMetrics> Steps { get; }
    public IReadOnlyList<(string Label, float[] Vector)> Probes { get; }
    /// <summary>True when x̂₀ was mapped to CLIP space (a <see cref="PriorLatentSpace"/> was given); else metrics are in the normalized space.</summary>
    public bool InClipSpace { get; }
    /// <summary>x̂₀ at every step (CLIP space when <see cref="InClipSpace"/>).</summary>
    public IReadOnlyList<float[]> Predictions { get; }
    public float[] Final { get; }
    /// <summary>The prompt's CLIP text embedding.</summary>
    public float[] Text { get; }

    /// <summary>
    /// The 1-based step from which x̂₀ stays within cosine <paramref name="threshold"/> of the final embedding for good
    /// (<c>Steps.Count + 1</c> when even the last step is below it).
    /// </summary>
    public int SettledStep(double threshold = 0.99) => StepStatistics.StableFrom(Steps, s => s.CosineToFinal >= threshold) + 1;

    /// <summary>The label of the probe nearest x̂₀ (highest cosine) at each step; empty without probes or outside CLIP space.</summary>
    public IReadOnlyList<string> NearestProbes => Probes.Count == 0 || !InClipSpace ? []
        : [.. Steps.Select(s => Probes[Enumerable.Range(0, Probes.Count).MaxBy(j => s.CosineToProbes[j])].Label)];

    /// <summary>The 1-based step from which the nearest probe stays the one nearest at the last step (1 without probes).</summary>
    public int NearestProbeSettledStep => StepStatistics.StableFromLast(NearestProbes) + 1;

    /// <summary>Per step, the highest minus the lowest cosine of x̂₀ to the probes: how far apart the probe curves are (0 without probes).</summary>
    public IReadOnlyList<double> ProbeSpread => [.. Steps.Select(s => s.CosineToProbes.Count == 0 ? 0 : s.CosineToProbes.Max() - s.CosineToProbes.Min())];

    public override string ToString()
    {
        var last = Steps[^1];
        var sb = new StringBuilder($"PriorTrajectoryAnalysis \"{Label}\" (row {Row}): {Steps.Count} steps, final |x̂₀| = {last.PredictionNorm:0.###}");
        if (InClipSpace)
        {
            sb.Append($", cos(final, text) = {ImageEmbedding.Cosine(Final, Text):0.###}");
            for (int j = 0; j < Probes.Count; j++) sb.Append($", cos(final, {Probes[j].Label}) = {ImageEmbedding.Cosine(Final, Probes[j].Vector):0.###}");
        }
        return sb.ToString();
    }
}

/// <summary>Per-step metrics of a <see cref="PriorTrajectory"/> and concept probes to compare it with.</summary>
public static class PriorAnalysis
{
    /// <summary>Per-step metrics of image row <paramref name="row"/>; in CLIP space through <paramref name="space"/> (default: the trajectory's own).</summary>
    public static PriorTrajectoryAnalysis Analyze(this PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes = null,
        PriorLatentSpace? space = null, int row = 0)
    {
        if (row < 0 || row >= p.ImageEmbeds.Count) throw new ArgumentOutOfRangeException(nameof(row), row, $"PriorTrajectory has {p.ImageEmbeds.Count} image row(s).");
        if (p.Steps.Count == 0) throw new InvalidOperationException("PriorTrajectory has no steps to analyze.");
        probes ??= [];
        space ??= p.LatentSpace;
        foreach (var (label, vector) in probes)
            if (vector.Length != p.ImageEmbeds.Dim) throw new ArgumentException($"Probe \"{label}\" has {vector.Length} dimensions, the prior's embeddings {p.ImageEmbeds.Dim}.", nameof(probes));
        float[] ToSpace(float[] latent) => space == null ? latent : space.ToEmbedding(latent);
        var predictions = p.Steps.Select(s => ToSpace(RowOf(s.PredOriginal, row))).ToList();
        var final = space == null ? RowOf(p.Steps[^1].PrevLatents, row) : p.ImageEmbeds.Vector(row);
        var text = p.TextEmbeds.Vector(row);
        var metrics = p.Steps.Select((s, i) => new PriorStepMetrics(s.Index, s.Timestep, Norm(RowOf(s.Latents, row)), Norm(predictions[i]),
            ImageEmbedding.Cosine(predictions[i], final),
            space == null ? null : ImageEmbedding.Cosine(predictions[i], text),
            space == null ? [] : [.. probes.Select(pr => ImageEmbedding.Cosine(predictions[i], pr.Vector))])).ToList();
        return new PriorTrajectoryAnalysis(p.ImageEmbeds.Labels[row], row, metrics, probes, space != null, predictions, final, text);
    }

    /// <summary>Concept probes: the CLIP text embedding of each text (e.g. "blue eyes"), to compare prior outputs with.</summary>
    public static IReadOnlyList<(string Label, float[] Vector)> TextProbes(this KandinskyLab lab, params string[] texts)
    {
        using var encoding = lab.EncodeText(texts);
        return [.. texts.Select((t, i) => (t, encoding.ClipTextEmbedding(i)))];
    }

    static float[] RowOf(Tensors.Tensor t, int row)
    {
        using var r = t.Select(0, row);
        return r.ToArray();
    }

    static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
}
