using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Visuals;

/// <summary>HTML of an <see cref="ImageEmbedding"/>: a row per embedding (label, norm), their cosine similarities and, from three rows on, a PCA projection.</summary>
public static class EmbeddingView
{
    public static string Render(ImageEmbedding e)
    {
        var table = new Table("#", "label", "|e|", "cos to #0") { Caption = $"ImageEmbedding [{e.Count}, {e.Dim}]" };
        var first = e.Vector(0);
        for (int i = 0; i < e.Count; i++) table.AddRow(i, e.Labels[i], e.Norm(i), ImageEmbedding.Cosine(e.Vector(i), first));
        var sb = new StringBuilder(table.ToHtml());
        if (e.Count > 1)
        {
            var projector = new EmbeddingProjector(title: "Image embeddings").Add(e, group: "embeddings");
            sb.Append(projector.SimilarityHeatmap().ToHtml());
            if (e.Count > 2) sb.Append(projector.ToFigure().ToHtml());
        }
        return Html.Section("Image embedding", sb.ToString());
    }

    /// <summary>A projector of these embeddings (one group per distinct label), for further points or paths.</summary>
    public static EmbeddingProjector Projector(this ImageEmbedding e, int dimensions = 2) => new EmbeddingProjector(dimensions).Add(e);
}
