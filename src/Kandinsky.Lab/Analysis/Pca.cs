namespace Kandinsky.Lab.Analysis;

/// <summary>
/// Principal component analysis of a small set of vectors (embeddings), for projecting them to 2-D or 3-D.
/// The covariance is never formed: C·v = Xcᵀ(Xc·v)/(n−1) costs O(n·d), and block power iteration with
/// Gram–Schmidt finds the leading eigenvectors. Signs are fixed (largest |component| positive) so the same data
/// always gives the same picture.
/// </summary>
public sealed class Pca
{
    const int MaxIterations = 2000;
    const double Tolerance = 1e-12;

    Pca(double[] mean, double[][] components, double[] variance, double totalVariance)
    {
        Mean = mean;
        Components = components;
        ExplainedVariance = variance;
        TotalVariance = totalVariance;
    }

    /// <summary>The mean the data was centred on.</summary>
    public IReadOnlyList<double> Mean { get; }
    /// <summary>Unit principal axes, largest variance first (fewer than asked for when the data spans fewer dimensions).</summary>
    public IReadOnlyList<double[]> Components { get; }
    /// <summary>The variance along each axis (eigenvalues of the sample covariance, divisor n − 1).</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }
    /// <summary>The trace of the sample covariance: the total variance of the data.</summary>
    public double TotalVariance { get; }
    public int Dimension => Mean.Count;

    /// <summary>The share of the total variance each axis explains.</summary>
    public IReadOnlyList<double> ExplainedVarianceRatio => ExplainedVariance.Select(v => TotalVariance > 0 ? v / TotalVariance : 0).ToArray();

    /// <summary>Fits <paramref name="components"/> axes to <paramref name="points"/> (all of one length).</summary>
    public static Pca Fit(IReadOnlyList<float[]> points, int components = 2)
    {
        if (points.Count == 0) throw new ArgumentException("Pca.Fit: no points given.", nameof(points));
        if (components < 1) throw new ArgumentOutOfRangeException(nameof(components), components, "Pca.Fit: need at least one component.");
        int n = points.Count, d = points[0].Length;
        for (int i = 0; i < n; i++)
            if (points[i].Length != d) throw new ArgumentException($"Pca.Fit: point {i} has {points[i].Length} values, point 0 has {d}.", nameof(points));

        var mean = new double[d];
        foreach (var p in points) for (int j = 0; j < d; j++) mean[j] += p[j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        var x = new double[n][];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = new double[d];
            for (int j = 0; j < d; j++) { x[i][j] = points[i][j] - mean[j]; total += x[i][j] * x[i][j]; }
        }
        double denominator = Math.Max(n - 1, 1);
        total /= denominator;

        int k = Math.Min(components, Math.Min(d, Math.Max(n - 1, 1)));
        var basis = StartBasis(k, d);
        var next = new double[k][];
        for (int it = 0; it < MaxIterations; it++)
        {
            for (int c = 0; c < k; c++) next[c] = CovarianceTimes(x, basis[c], denominator);
            Orthonormalize(next);
            double change = 0;
            for (int c = 0; c < k; c++) change = Math.Max(change, 1 - Math.Abs(Dot(next[c], basis[c])));
            (basis, next) = (next, basis);
            if (change < Tolerance) break;
        }

        // Rayleigh quotients, sorted; axes with no variance (rank-deficient data) are dropped.
        var axes = basis.Select(v => (Vector: v, Variance: Dot(v, CovarianceTimes(x, v, denominator))))
            .Where(a => a.Variance > 1e-12 * Math.Max(total, 1e-300))
            .OrderByDescending(a => a.Variance).ToList();
        foreach (var (v, _) in axes) FixSign(v);
        return new Pca(mean, [.. axes.Select(a => a.Vector)], [.. axes.Select(a => a.Variance)], total);
    }

    /// <summary>Coordinates of <paramref name="point"/> along the components.</summary>
    public double[] Project(ReadOnlySpan<float> point)
    {
        if (point.Length != Dimension) throw new ArgumentException($"Pca.Project: point has {point.Length} values, the PCA was fitted on {Dimension}.");
        var result = new double[Components.Count];
        for (int c = 0; c < result.Length; c++)
        {
            double s = 0;
            var axis = Components[c];
            for (int j = 0; j < axis.Length; j++) s += (point[j] - Mean[j]) * axis[j];
            result[c] = s;
        }
        return result;
    }

    static double[] CovarianceTimes(double[][] x, double[] v, double denominator)
    {
        var result = new double[v.Length];
        foreach (var row in x)
        {
            double s = Dot(row, v) / denominator;
            for (int j = 0; j < row.Length; j++) result[j] += s * row[j];
        }
        return result;
    }

    /// <summary>A fixed, well-spread start: columns of a deterministic pseudo-random matrix (no zero overlap with any axis in practice).</summary>
    static double[][] StartBasis(int k, int d)
    {
        var rng = new Random(20251122);
        var basis = new double[k][];
        for (int c = 0; c < k; c++)
        {
            basis[c] = new double[d];
            for (int j = 0; j < d; j++) basis[c][j] = rng.NextDouble() - 0.5;
        }
        Orthonormalize(basis);
        return basis;
    }

    /// <summary>Modified Gram–Schmidt in place; a vector that collapses is replaced by the first unit axis independent of the rest.</summary>
    static void Orthonormalize(double[][] vectors)
    {
        for (int c = 0; c < vectors.Length; c++)
        {
            if (OrthogonalizeAgainst(vectors[c], vectors, c)) continue;
            for (int axis = 0; axis < vectors[c].Length; axis++)
            {
                Array.Clear(vectors[c]);
                vectors[c][axis] = 1;
                if (OrthogonalizeAgainst(vectors[c], vectors, c)) break;
            }
        }
    }

    /// <summary>Removes the components along vectors[0..count) (twice, for stability) and normalizes; false when nothing is left.</summary>
    static bool OrthogonalizeAgainst(double[] v, double[][] vectors, int count)
    {
        double before = Math.Sqrt(Dot(v, v));
        for (int pass = 0; pass < 2; pass++)
            for (int p = 0; p < count; p++)
            {
                double s = Dot(v, vectors[p]);
                for (int j = 0; j < v.Length; j++) v[j] -= s * vectors[p][j];
            }
        double norm = Math.Sqrt(Dot(v, v));
        if (!(norm > 1e-10 * before) || norm == 0) return false;
        for (int j = 0; j < v.Length; j++) v[j] /= norm;
        return true;
    }

    static void FixSign(double[] v)
    {
        int best = 0;
        for (int j = 1; j < v.Length; j++) if (Math.Abs(v[j]) > Math.Abs(v[best])) best = j;
        if (v[best] < 0) for (int j = 0; j < v.Length; j++) v[j] = -v[j];
    }

    static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += a[j] * b[j];
        return s;
    }
}
