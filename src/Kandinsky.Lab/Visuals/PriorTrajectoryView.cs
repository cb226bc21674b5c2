using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Visuals;

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

    /// <summary>The map of a loaded lab's prior (its clip_mean and clip_std weights).</summary>
    public static PriorLatentSpace Of(KandinskyLab lab) =>
        new(lab.PriorPipeline.Prior.ClipMean.ToArray(), lab.PriorPipeline.Prior.ClipStd.ToArray());

    /// <summary>x · clip_std + clip_mean.</summary>
    public float[] ToEmbedding(ReadOnlySpan<float> latent)
    {
        if (latent.Length != ClipMean.Count) throw new ArgumentException($"PriorLatentSpace: latent has {latent.Length} values, expected {ClipMean.Count}.");
        var e = new float[latent.Length];
        for (int i = 0; i < e.Length; i++) e[i] = latent[i] * ClipStd[i] + ClipMean[i];
        return e;
    }
}

/// <summary>
/// One prior step seen from outside: the norms of the noisy latents and of the predicted clean embedding x̂₀, and
/// the cosine of x̂₀ to the final embedding, to the prompt's CLIP text embedding and to each probe (the last two
/// are null when the trajectory could not be mapped to CLIP space).
/// </summary>
public sealed record PriorStepMetrics(int Step, int Timestep, double LatentNorm, double PredictionNorm, double CosineToFinal, double? CosineToText,
    IReadOnlyList<double> CosineToProbes);

/// <summary>The analysis of one image row of a <see cref="PriorTrajectory"/>: per-step metrics, their plot, and the path of x̂₀ in a projector.</summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class PriorTrajectoryAnalysis : IRichDisplay
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

    /// <summary>Cosines over the steps (left axis) and norms (right axis).</summary>
    public Figure ToFigure()
    {
        var x = Steps.Select(s => (double)s.Step).ToList();
        var hover = Steps.Select(s => $"step {s.Step}, t = {s.Timestep}").ToList();
        var fig = new Figure($"Prior trajectory: {Label}").WithAxes("step", "cosine of x̂₀ to …").WithSecondYAxis("norm").WithSize(760, 420);
        fig.AddScatter(x, Steps.Select(s => s.CosineToFinal), "→ final embedding", "lines+markers", hover);
        if (InClipSpace)
        {
            fig.AddScatter(x, Steps.Select(s => s.CosineToText ?? double.NaN), "→ text embedding", "lines+markers", hover);
            for (int j = 0; j < Probes.Count; j++)
                fig.AddScatter(x, Steps.Select(s => s.CosineToProbes[j]), $"→ probe: {Probes[j].Label}", "lines", hover, dash: "dash");
        }
        fig.AddScatter(x, Steps.Select(s => s.PredictionNorm), "|x̂₀|", "lines", hover, "#999999", "dot", "y2");
        fig.AddScatter(x, Steps.Select(s => s.LatentNorm), "|x_t| (normalized)", "lines", hover, "#cccccc", "dot", "y2");
        fig.Layout["legend"] = new System.Text.Json.Nodes.JsonObject { ["orientation"] = "h", ["y"] = -0.2 };
        return fig;
    }

    public Table ToTable()
    {
        var columns = new List<string> { "step", "t", "|x_t|", "|x̂₀|", "cos → final" };
        if (InClipSpace) { columns.Add("cos → text"); columns.AddRange(Probes.Select(p => "cos → " + p.Label)); }
        var table = new Table([.. columns]) { Caption = $"Prior steps: {Label}" };
        foreach (var s in Steps)
        {
            var row = new List<object?> { s.Step, s.Timestep, s.LatentNorm, s.PredictionNorm, s.CosineToFinal };
            if (InClipSpace) { row.Add(s.CosineToText); row.AddRange(s.CosineToProbes.Cast<object?>()); }
            table.AddRow([.. row]);
        }
        return table;
    }

    /// <summary>x̂₀'s path through the PCA space of the text embedding, the final embedding and the probes.</summary>
    public EmbeddingProjector Projector(int dimensions = 2)
    {
        var projector = new EmbeddingProjector(dimensions, $"x̂₀ path: {Label}");
        if (InClipSpace)
        {
            projector.Add("text: " + Label, Text, "text embedding");
            foreach (var (label, vector) in Probes) projector.Add(label, vector, "probes");
        }
        projector.Add("final: " + Label, Final, "final image embedding");
        projector.AddPath("x̂₀ per step", Predictions, Steps.Select(s => $"step {s.Step} (t = {s.Timestep})").ToList());
        return projector;
    }

    public string ToHtml()
    {
        var sb = new StringBuilder(ToFigure().ToHtml());
        if (!InClipSpace)
            sb.Append("<div style=\"font-size:12px;color:#555\">Cosines to the text embedding and to probes need the prior's clip_mean / clip_std: ")
              .Append("<code>trajectory.Analyze(probes, PriorLatentSpace.Of(lab))</code>.</div>");
        sb.Append(Projector().ToFigure().ToHtml());
        sb.Append("<details><summary>per-step numbers</summary>").Append(ToTable().ToHtml()).Append("</details>");
        return Html.Section($"Prior trajectory of \"{Label}\"", sb.ToString());
    }

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

/// <summary>HTML and plots of a <see cref="PriorTrajectory"/>.</summary>
public static class PriorTrajectoryView
{
    const int MaxRowsShown = 4;

    public static string Render(PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes) => Render(p, probes, null);

    public static string Render(PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes, PriorLatentSpace? space)
    {
        var sb = new StringBuilder();
        var summary = new Table("#", "prompt", "|image_embeds|", "cos(image, text)", "negative") { Caption = $"{p.Steps.Count} steps, guidance {p.Settings.GuidanceScale}, seed {p.Settings.Seed?.ToString() ?? "(given latents)"}" };
        for (int i = 0; i < p.ImageEmbeds.Count; i++)
            summary.AddRow(i, p.ImageEmbeds.Labels[i], p.ImageEmbeds.Norm(i), ImageEmbedding.Cosine(p.ImageEmbeds.Vector(i), p.TextEmbeds.Vector(i)), p.NegativeImageEmbeds.Labels[i]);
        sb.Append(summary.ToHtml());
        for (int row = 0; row < Math.Min(p.ImageEmbeds.Count, MaxRowsShown); row++)
            sb.Append(p.Analyze(probes, space, row).ToHtml());
        if (p.ImageEmbeds.Count > MaxRowsShown)
            sb.Append("<div>(").Append(p.ImageEmbeds.Count - MaxRowsShown).Append(" more rows: <code>trajectory.Analyze(row: n)</code>)</div>");
        return Html.Section("Prior trajectory", sb.ToString());
    }

    /// <summary>Per-step metrics of image row <paramref name="row"/>; give <paramref name="space"/> (<c>PriorLatentSpace.Of(lab)</c>) to compare with text and probes.</summary>
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

    /// <summary>The per-step cosine/norm plot of image row <paramref name="row"/>.</summary>
    public static Figure Plot(this PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes = null, PriorLatentSpace? space = null, int row = 0) =>
        p.Analyze(probes, space, row).ToFigure();

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
