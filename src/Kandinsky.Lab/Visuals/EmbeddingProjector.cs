using System.Text;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// An embedding projector: any set of CLIP embeddings (text embeddings, prior outputs, image embeddings, probes)
/// projected onto their first two or three principal components, coloured by group, with paths (a prior
/// trajectory, an interpolation) drawn through the same space, a cosine-similarity heatmap and a gallery of the
/// points' images keyed by point number (the number is in every point's hover text).
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class EmbeddingProjector : IRichDisplay
{
    /// <summary>plotly's default colour cycle, so groups and their paths share colours.</summary>
    static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    readonly List<ProjectedPoint> _points = [];
    readonly List<ProjectedPath> _paths = [];
    Pca? _pca;

    public EmbeddingProjector(int dimensions = 2, string? title = null)
    {
        if (dimensions is not (2 or 3)) throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "EmbeddingProjector: 2 or 3 dimensions.");
        Dimensions = dimensions;
        Title = title ?? "Embedding projector";
    }

    public int Dimensions { get; }
    public string Title { get; }
    public IReadOnlyList<ProjectedPoint> Points => _points;
    public IReadOnlyList<ProjectedPath> Paths => _paths;

    /// <summary>One point; its number (for the gallery and hover text) is its position in <see cref="Points"/>.</summary>
    public EmbeddingProjector Add(string label, float[] vector, string? group = null, Image? thumbnail = null)
    {
        RequireDimension(vector, label);
        _points.Add(new ProjectedPoint(_points.Count, label, group ?? label, (float[])vector.Clone(), thumbnail));
        _pca = null;
        return this;
    }

    /// <summary>Every row of an embedding, labelled by its labels, optionally with one image per row.</summary>
    public EmbeddingProjector Add(ImageEmbedding embedding, string? group = null, IReadOnlyList<Image>? thumbnails = null)
    {
        if (thumbnails != null && thumbnails.Count != embedding.Count)
            throw new ArgumentException($"EmbeddingProjector.Add: {thumbnails.Count} thumbnails for {embedding.Count} embedding rows.", nameof(thumbnails));
        for (int i = 0; i < embedding.Count; i++) Add(embedding.Labels[i], embedding.Vector(i), group ?? embedding.Labels[i], thumbnails?[i]);
        return this;
    }

    /// <summary>The CLIP text embeddings (text_embeds) of every prompt of an encoding.</summary>
    public EmbeddingProjector AddText(TextEncoding text, string group = "CLIP text")
    {
        for (int i = 0; i < text.Count; i++) Add("text: " + text.Prompts[i], text.ClipTextEmbedding(i), group);
        return this;
    }

    /// <summary>A polyline through the space (not used to fit the axes unless there are fewer than three points).</summary>
    public EmbeddingProjector AddPath(string label, IReadOnlyList<float[]> vertices, IReadOnlyList<string>? vertexLabels = null)
    {
        if (vertices.Count == 0) throw new ArgumentException($"EmbeddingProjector.AddPath: path \"{label}\" has no vertices.", nameof(vertices));
        if (vertexLabels != null && vertexLabels.Count != vertices.Count)
            throw new ArgumentException($"EmbeddingProjector.AddPath: {vertexLabels.Count} vertex labels for {vertices.Count} vertices.", nameof(vertexLabels));
        foreach (var v in vertices) RequireDimension(v, label);
        _paths.Add(new ProjectedPath(label, [.. vertices.Select(v => (float[])v.Clone())], vertexLabels ?? vertices.Select((_, i) => $"{label} [{i}]").ToList()));
        _pca = null;
        return this;
    }

    /// <summary>The principal axes: fitted on the points (with the path vertices too when there are fewer than three points).</summary>
    public Pca Pca => _pca ??= FitPca();

    /// <summary>Coordinates of every point in the projection (missing axes, for degenerate data, are 0).</summary>
    public IReadOnlyList<double[]> Coordinates => [.. _points.Select(p => Project(p.Vector))];

    public double[] Project(float[] vector)
    {
        var c = Pca.Project(vector);
        var padded = new double[Dimensions];
        Array.Copy(c, padded, Math.Min(c.Length, Dimensions));
        return padded;
    }

    /// <summary>The scatter plot: one trace per group, then one line per path.</summary>
    public Figure ToFigure()
    {
        var pca = Pca;
        var ratio = pca.ExplainedVarianceRatio;
        string Axis(int i) => $"PC{i + 1}{(i < ratio.Count ? $" ({ratio[i]:P0})" : "")}";
        var fig = new Figure(Title);
        var groups = _points.GroupBy(p => p.Group).ToList();
        for (int g = 0; g < groups.Count; g++)
        {
            var pts = groups[g].ToList();
            Trace(fig, groups[g].Key, pts.Select(p => Project(p.Vector)).ToList(), pts.Select(p => $"#{p.Index} {p.Label}").ToList(), "markers", Palette[g % Palette.Length]);
        }
        for (int i = 0; i < _paths.Count; i++)
        {
            var path = _paths[i];
            Trace(fig, path.Label, path.Vertices.Select(Project).ToList(), path.VertexLabels, "lines+markers", Palette[(groups.Count + i) % Palette.Length]);
        }
        if (Dimensions == 2) fig.WithAxes(Axis(0), Axis(1));
        else fig.Layout["scene"] = new System.Text.Json.Nodes.JsonObject
        {
            ["xaxis"] = new System.Text.Json.Nodes.JsonObject { ["title"] = new System.Text.Json.Nodes.JsonObject { ["text"] = Axis(0) } },
            ["yaxis"] = new System.Text.Json.Nodes.JsonObject { ["title"] = new System.Text.Json.Nodes.JsonObject { ["text"] = Axis(1) } },
            ["zaxis"] = new System.Text.Json.Nodes.JsonObject { ["title"] = new System.Text.Json.Nodes.JsonObject { ["text"] = Axis(2) } },
        };
        return fig.WithSize(720, Dimensions == 2 ? 480 : 600);
    }

    void Trace(Figure fig, string name, IReadOnlyList<double[]> xy, IReadOnlyList<string> hover, string mode, string color)
    {
        if (Dimensions == 2) fig.AddScatter(xy.Select(c => c[0]), xy.Select(c => c[1]), name, mode, hover, color);
        else fig.AddScatter3d(xy.Select(c => c[0]), xy.Select(c => c[1]), xy.Select(c => c[2]), name, mode, hover, color);
    }

    /// <summary>Cosine similarity of every pair of points, as a matrix.</summary>
    public double[,] CosineSimilarities()
    {
        int n = _points.Count;
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i, j] = ImageEmbedding.Cosine(_points[i].Vector, _points[j].Vector);
        return m;
    }

    /// <summary>The cosine-similarity heatmap of the points (labels carry the point numbers, so equal labels stay apart).</summary>
    public Figure SimilarityHeatmap()
    {
        var labels = _points.Select(p => $"#{p.Index} {Shorten(p.Label, 24)}").ToList();
        int size = Math.Clamp(220 + 24 * _points.Count, 420, 900);
        var fig = new Figure("Cosine similarity").AddHeatmap(CosineSimilarities(), labels, labels, "RdBu", -1, 1).WithSize(size + 200, size);
        fig.Layout["yaxis"] = new System.Text.Json.Nodes.JsonObject { ["autorange"] = "reversed", ["automargin"] = true };
        fig.Layout["xaxis"] = new System.Text.Json.Nodes.JsonObject { ["automargin"] = true };
        return fig;
    }

    public string ToHtml()
    {
        if (_points.Count == 0 && _paths.Count == 0) return Html.Section(Title, "<div>(no embeddings)</div>");
        var sb = new StringBuilder();
        sb.Append(ToFigure().ToHtml());
        if (_points.Count > 1) sb.Append(SimilarityHeatmap().ToHtml());
        if (_points.Any(p => p.Thumbnail != null))
        {
            sb.Append("<div class=\"kl-gallery\" style=\"display:flex;flex-wrap:wrap;gap:6px\">");
            foreach (var p in _points.Where(p => p.Thumbnail != null))
                sb.Append("<figure style=\"margin:0;text-align:center;width:88px\">")
                  .Append(Html.PngImage(Png.Encode(p.Thumbnail!), $"#{p.Index} {p.Label}", 80, $"#{p.Index} {p.Label}"))
                  .Append("<figcaption style=\"font-size:11px;word-break:break-word\">#").Append(p.Index).Append(' ').Append(Html.Encode(Shorten(p.Label))).Append("</figcaption></figure>");
            sb.Append("</div>");
        }
        return Html.Section(Title, sb.ToString());
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"EmbeddingProjector \"{Title}\": {_points.Count} point(s), {_paths.Count} path(s), {Dimensions}-D PCA");
        if (_points.Count + _paths.Count == 0) return sb.ToString();
        sb.Append(" (explained variance ").Append(string.Join(", ", Pca.ExplainedVarianceRatio.Select(r => r.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)))).Append(')');
        var coords = Coordinates;
        for (int i = 0; i < _points.Count; i++)
            sb.Append($"\n  #{i} [{_points[i].Group}] {_points[i].Label}: ({string.Join(", ", coords[i].Select(c => c.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))})");
        return sb.ToString();
    }

    Pca FitPca()
    {
        var data = _points.Select(p => p.Vector).ToList();
        if (data.Count < 3) data.AddRange(_paths.SelectMany(p => p.Vertices));
        if (data.Count == 0) throw new InvalidOperationException("EmbeddingProjector: nothing to project; add points or paths first.");
        return Pca.Fit(data, Dimensions);
    }

    void RequireDimension(float[] vector, string label)
    {
        int expected = _points.Count > 0 ? _points[0].Vector.Length : _paths.Count > 0 ? _paths[0].Vertices[0].Length : vector.Length;
        if (vector.Length != expected)
            throw new ArgumentException($"EmbeddingProjector: \"{label}\" has {vector.Length} dimensions, the projector holds {expected}-dimensional embeddings.");
    }

    static string Shorten(string s, int max = 48) => s.Length <= max ? s : s[..(max - 1)] + "…";
}

/// <summary>A point of an <see cref="EmbeddingProjector"/>.</summary>
public sealed record ProjectedPoint(int Index, string Label, string Group, float[] Vector, Image? Thumbnail);

/// <summary>A path of an <see cref="EmbeddingProjector"/>.</summary>
public sealed record ProjectedPath(string Label, IReadOnlyList<float[]> Vertices, IReadOnlyList<string> VertexLabels);
