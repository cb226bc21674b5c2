using System.Text;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Visuals;

/// <summary>HTML and plots of a <see cref="PriorTrajectory"/>.</summary>
public static class PriorTrajectoryView
{
    /// <summary>Cosines over the steps (left axis) and norms (right axis).</summary>
    public static Figure ToFigure(this PriorTrajectoryAnalysis a)
    {
        var x = a.Steps.Select(s => (double)s.Step).ToList();
        var hover = a.Steps.Select(s => $"step {s.Step}, t = {s.Timestep}").ToList();
        var fig = new Figure($"Prior trajectory: {a.Label}").WithAxes("step", "cosine of x̂₀ to …").WithSecondYAxis("norm").WithSize(760, 420);
        fig.AddScatter(x, a.Steps.Select(s => s.CosineToFinal), "→ final embedding", "lines+markers", hover);
        if (a.InClipSpace)
        {
            fig.AddScatter(x, a.Steps.Select(s => s.CosineToText ?? double.NaN), "→ text embedding", "lines+markers", hover);
            for (int j = 0; j < a.Probes.Count; j++)
                fig.AddScatter(x, a.Steps.Select(s => s.CosineToProbes[j]), $"→ probe: {a.Probes[j].Label}", "lines", hover, dash: "dash");
        }
        fig.AddScatter(x, a.Steps.Select(s => s.PredictionNorm), "|x̂₀|", "lines", hover, "#999999", "dot", "y2");
        fig.AddScatter(x, a.Steps.Select(s => s.LatentNorm), "|x_t| (normalized)", "lines", hover, "#cccccc", "dot", "y2");
        fig.Layout["legend"] = new System.Text.Json.Nodes.JsonObject { ["orientation"] = "h", ["y"] = -0.2 };
        return fig;
    }

    public static Table ToTable(this PriorTrajectoryAnalysis a)
    {
        var columns = new List<string> { "step", "t", "|x_t|", "|x̂₀|", "cos → final" };
        if (a.InClipSpace) { columns.Add("cos → text"); columns.AddRange(a.Probes.Select(p => "cos → " + p.Label)); }
        var table = new Table([.. columns]) { Caption = $"Prior steps: {a.Label}" };
        foreach (var s in a.Steps)
        {
            var row = new List<object?> { s.Step, s.Timestep, s.LatentNorm, s.PredictionNorm, s.CosineToFinal };
            if (a.InClipSpace) { row.Add(s.CosineToText); row.AddRange(s.CosineToProbes.Cast<object?>()); }
            table.AddRow([.. row]);
        }
        return table;
    }

    /// <summary>x̂₀'s path through the PCA space of the text embedding, the final embedding and the probes.</summary>
    public static EmbeddingProjector Projector(this PriorTrajectoryAnalysis a, int dimensions = 2)
    {
        var projector = new EmbeddingProjector(dimensions, $"x̂₀ path: {a.Label}");
        if (a.InClipSpace)
        {
            projector.Add("text: " + a.Label, a.Text, "text embedding");
            foreach (var (label, vector) in a.Probes) projector.Add(label, vector, "probes");
        }
        projector.Add("final: " + a.Label, a.Final, "final image embedding");
        projector.AddPath("x̂₀ per step", a.Predictions, a.Steps.Select(s => $"step {s.Step} (t = {s.Timestep})").ToList());
        return projector;
    }

    /// <summary>The analysis of one row: its plot, the x̂₀ path in a projector, and the numbers.</summary>
    public static string Render(PriorTrajectoryAnalysis a)
    {
        var sb = new StringBuilder(a.ToFigure().ToHtml());
        if (!a.InClipSpace)
            sb.Append("<div style=\"font-size:12px;color:#555\">Cosines to the text embedding and to probes need the prior's clip_mean / clip_std: ")
              .Append("<code>trajectory.Analyze(probes, trajectory.LatentSpace)</code>.</div>");
        sb.Append(a.Projector().ToFigure().ToHtml());
        sb.Append("<details><summary>per-step numbers</summary>").Append(a.ToTable().ToHtml()).Append("</details>");
        return Html.Section($"Prior trajectory of \"{a.Label}\"", sb.ToString());
    }

    const int MaxRowsShown = 4;

    /// <summary>The summary table and the analysis of the first rows (in CLIP space, through the trajectory's own latent space).</summary>
    public static string Render(PriorTrajectory p)
    {
        var sb = new StringBuilder();
        var summary = new Table("#", "prompt", "|image_embeds|", "cos(image, text)", "negative") { Caption = $"{p.Steps.Count} steps, guidance {p.Options.GuidanceScale}, {p.SeedText}" };
        for (int i = 0; i < p.ImageEmbeds.Count; i++)
            summary.AddRow(i, p.ImageEmbeds.Labels[i], p.ImageEmbeds.Norm(i), ImageEmbedding.Cosine(p.ImageEmbeds.Vector(i), p.TextEmbeds.Vector(i)), p.NegativeImageEmbeds.Labels[i]);
        sb.Append(summary.ToHtml());
        for (int row = 0; row < Math.Min(p.ImageEmbeds.Count, MaxRowsShown); row++)
            sb.Append(Render(p.Analyze(row: row)));
        if (p.ImageEmbeds.Count > MaxRowsShown)
            sb.Append("<div>(").Append(p.ImageEmbeds.Count - MaxRowsShown).Append(" more rows: <code>trajectory.Analyze(row: n)</code>)</div>");
        return Html.Section("Prior trajectory", sb.ToString());
    }

    /// <summary>The per-step cosine/norm plot of image row <paramref name="row"/>.</summary>
    public static Figure Plot(this PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes = null, PriorLatentSpace? space = null, int row = 0) =>
        p.Analyze(probes, space, row).ToFigure();
}
