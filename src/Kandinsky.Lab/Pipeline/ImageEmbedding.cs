using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// CLIP image embeddings, one row per image ([N, D]): what the prior produces and the decoder is conditioned on.
/// Rows carry labels (the prompt, "zero image", a file name …) for plots. Immutable; arithmetic returns new values.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class ImageEmbedding : IDisposable
{
    public ImageEmbedding(Tensor embeddings, IReadOnlyList<string> labels)
    {
        if (embeddings.Rank != 2) throw new ArgumentException($"ImageEmbedding: expected [N, D], got {embeddings.ShapeString}.");
        if (labels.Count != embeddings.Size(0)) throw new ArgumentException($"ImageEmbedding: {labels.Count} labels for {embeddings.Size(0)} rows.");
        Tensor = embeddings;
        Labels = labels;
    }

    /// <summary>[N, D] float32.</summary>
    public Tensor Tensor { get; }
    public IReadOnlyList<string> Labels { get; }
    public int Count => Tensor.Size(0);
    public int Dim => Tensor.Size(1);

    public float[] Vector(int row)
    {
        using var r = Tensor.Select(0, row);
        return r.ToArray();
    }

    public double Norm(int row) => Math.Sqrt(Vector(row).Sum(v => (double)v * v));

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Cosine: vectors of length {a.Length} and {b.Length}.");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>Rows of this embedding followed by those of <paramref name="others"/>.</summary>
    public static ImageEmbedding Concat(IReadOnlyList<ImageEmbedding> parts)
    {
        var tensor = F.Cat(parts.Select(p => p.Tensor).ToList(), 0);
        return new ImageEmbedding(tensor, parts.SelectMany(p => p.Labels).ToList());
    }

    /// <summary>Σ wᵢ·eᵢ of single-row embeddings (the prior's interpolate): weights need not sum to 1.</summary>
    public static ImageEmbedding Mix(IReadOnlyList<(ImageEmbedding Embedding, float Weight)> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("ImageEmbedding.Mix: nothing to mix.");
        Tensor? sum = null;
        foreach (var (e, w) in parts)
        {
            if (e.Count != 1) throw new ArgumentException($"ImageEmbedding.Mix: each part must be one row, got {e.Count} ({string.Join(", ", e.Labels)}).");
            using var scaled = F.Mul(e.Tensor, w);
            if (sum == null) sum = scaled.Clone();
            else F.AddInPlace(sum, scaled);
        }
        var label = string.Join(" + ", parts.Select(p => $"{p.Weight:0.##}·{p.Embedding.Labels[0]}"));
        return new ImageEmbedding(sum!, [label]);
    }

    /// <summary>
    /// Σ wᵢ·eᵢ over embeddings of the same row count, or of one row (an image's embedding, broadcast to every row):
    /// the weighted sum of diffusers' <c>KandinskyPriorPipeline.interpolate</c>, weights not normalised. Items of
    /// weight 0 are left out, so weights (1, 0, …) give the first embedding back bit for bit.
    /// </summary>
    public static ImageEmbedding Interpolate(IReadOnlyList<ImageEmbedding> items, IReadOnlyList<float> weights)
    {
        if (items.Count == 0 || items.Count != weights.Count)
            throw new ArgumentException($"ImageEmbedding.Interpolate: {items.Count} items and {weights.Count} weights; give one weight per item, at least one item.");
        int rows = items.Max(e => e.Count);
        if (items.FirstOrDefault(e => e.Count != 1 && e.Count != rows) is { } odd)
            throw new ArgumentException($"ImageEmbedding.Interpolate: {odd.Labels[0]} has {odd.Count} rows, the others {rows}; give {rows} rows or one.");
        var sum = new float[rows * items[0].Dim];
        var labels = new string[rows];
        bool first = true;
        for (int k = 0; k < items.Count; k++)
        {
            if (weights[k] == 0) continue;
            var values = items[k].Tensor.ToArray();
            for (int i = 0; i < sum.Length; i++)
            {
                float term = weights[k] * values[items[k].Count == 1 ? i % values.Length : i];
                sum[i] = first ? term : sum[i] + term;
            }
            first = false;
            for (int r = 0; r < rows; r++)
                labels[r] = (labels[r] == null ? "" : labels[r] + " + ") + $"{weights[k]:0.##}·{items[k].Labels[items[k].Count == 1 ? 0 : r]}";
        }
        return new ImageEmbedding(Tensor.FromArray(sum, rows, items[0].Dim), labels.Select(l => l ?? "0").ToList());
    }

    /// <summary>
    /// Spherical interpolation row by row: row i of the result lies on the great arc from row i of <paramref name="a"/>
    /// to row i of <paramref name="b"/> (linear when the two are nearly parallel). Both need the same rows and width.
    /// </summary>
    public static ImageEmbedding Slerp(ImageEmbedding a, ImageEmbedding b, float t)
    {
        if (a.Count != b.Count || a.Dim != b.Dim)
            throw new ArgumentException($"ImageEmbedding.Slerp: [{a.Count}, {a.Dim}] and [{b.Count}, {b.Dim}] must have the same shape (rows are interpolated pairwise).");
        var z = new float[a.Count * a.Dim];
        for (int row = 0; row < a.Count; row++) SlerpRow(a.Vector(row), b.Vector(row), t, z.AsSpan(row * a.Dim, a.Dim));
        var labels = Enumerable.Range(0, a.Count).Select(row => $"slerp({a.Labels[row]}, {b.Labels[row]}, {t:0.##})").ToList();
        return new ImageEmbedding(Tensor.FromArray(z, a.Count, a.Dim), labels);
    }

    static void SlerpRow(float[] x, float[] y, float t, Span<float> z)
    {
        double theta = Math.Acos(Math.Clamp(Cosine(x, y), -1, 1));
        if (theta < 1e-4)
        {
            for (int i = 0; i < z.Length; i++) z[i] = (1 - t) * x[i] + t * y[i];
            return;
        }
        double s = Math.Sin(theta), wa = Math.Sin((1 - t) * theta) / s, wb = Math.Sin(t * theta) / s;
        for (int i = 0; i < z.Length; i++) z[i] = (float)(wa * x[i] + wb * y[i]);
    }

    /// <summary>The rows <paramref name="rows"/> as a new embedding.</summary>
    public ImageEmbedding Rows(params int[] rows)
    {
        using var picked = F.IndexSelect(Tensor, 0, rows.Select(r => (long)r).ToArray());
        return new ImageEmbedding(picked.Clone(), rows.Select(r => Labels[r]).ToList());
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"ImageEmbedding [{Count}, {Dim}]");
        for (int i = 0; i < Count; i++) sb.Append($"\n  [{i}] {Labels[i]}  |e| = {Norm(i):0.###}");
        return sb.ToString();
    }

    public void Dispose() => Tensor.Dispose();
}
