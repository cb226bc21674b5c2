using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Tests.Visuals;

public class PcaTests
{
    /// <summary>Points with known variances along a random orthonormal basis.</summary>
    static (List<float[]> Points, double[][] Axes) Planted(int n, int d, double[] sigmas, int seed)
    {
        var rng = new Random(seed);
        var axes = new double[sigmas.Length][];
        for (int c = 0; c < axes.Length; c++)
        {
            axes[c] = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            for (int p = 0; p < c; p++)
            {
                double s = axes[c].Zip(axes[p], (a, b) => a * b).Sum();
                for (int j = 0; j < d; j++) axes[c][j] -= s * axes[p][j];
            }
            double norm = Math.Sqrt(axes[c].Sum(v => v * v));
            for (int j = 0; j < d; j++) axes[c][j] /= norm;
        }
        var offset = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 3).ToArray();
        var points = new List<float[]>();
        for (int i = 0; i < n; i++)
        {
            var p = (double[])offset.Clone();
            for (int c = 0; c < axes.Length; c++)
            {
                double z = Gaussian(rng) * sigmas[c];
                for (int j = 0; j < d; j++) p[j] += z * axes[c][j];
            }
            points.Add([.. p.Select(v => (float)v)]);
        }
        return (points, axes);
    }

    static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>The oracle: cyclic Jacobi eigen-decomposition of the explicitly formed sample covariance.</summary>
    static (double[] Values, double[][] Vectors) JacobiEigen(List<float[]> points)
    {
        int n = points.Count, d = points[0].Length;
        var mean = new double[d];
        foreach (var p in points) for (int j = 0; j < d; j++) mean[j] += p[j] / (double)n;
        var a = new double[d, d];
        foreach (var p in points)
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) a[i, j] += (p[i] - mean[i]) * (p[j] - mean[j]) / (n - 1);
        var v = new double[d, d];
        for (int i = 0; i < d; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int i = 0; i < d; i++) for (int j = i + 1; j < d; j++) off += a[i, j] * a[i, j];
            if (off < 1e-24) break;
            for (int p = 0; p < d; p++)
                for (int q = p + 1; q < d; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var order = Enumerable.Range(0, d).OrderByDescending(i => a[i, i]).ToArray();
        return ([.. order.Select(i => a[i, i])], [.. order.Select(i => Enumerable.Range(0, d).Select(k => v[k, i]).ToArray())]);
    }

    static double AbsDot(IReadOnlyList<double> a, IReadOnlyList<double> b) => Math.Abs(a.Zip(b, (x, y) => x * y).Sum());

    [Theory]
    [InlineData(40, 12, 1)]
    [InlineData(200, 64, 2)]
    [InlineData(15, 30, 3)]   // fewer points than dimensions
    public void MatchesJacobiOnTheExplicitCovariance(int n, int d, int seed)
    {
        var (points, _) = Planted(n, d, [5, 3, 2, 1, 0.5], seed);
        var pca = Pca.Fit(points, 3);
        var (values, vectors) = JacobiEigen(points);
        Assert.Equal(3, pca.Components.Count);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(values[c], pca.ExplainedVariance[c], values[c] * 1e-6);
            Assert.True(AbsDot(pca.Components[c], vectors[c]) > 1 - 1e-6, $"component {c}: |cos| to the oracle's eigenvector {AbsDot(pca.Components[c], vectors[c])}");
        }
        Assert.Equal(values.Sum(), pca.TotalVariance, values.Sum() * 1e-9);
    }

    [Fact]
    public void RecoversPlantedAxesAndProjectionsHaveTheExplainedVariance()
    {
        var (points, axes) = Planted(2000, 20, [4, 2, 1], 7);
        var pca = Pca.Fit(points, 2);
        Assert.True(AbsDot(pca.Components[0], axes[0]) > 0.99);
        Assert.True(AbsDot(pca.Components[1], axes[1]) > 0.99);
        Assert.True(AbsDot(pca.Components[0], pca.Components[1]) < 1e-9);
        var projected = points.Select(p => pca.Project(p)).ToList();
        for (int c = 0; c < 2; c++)
        {
            double mean = projected.Average(p => p[c]);
            double variance = projected.Sum(p => (p[c] - mean) * (p[c] - mean)) / (points.Count - 1);
            Assert.Equal(0, mean, 1e-6);
            Assert.Equal(pca.ExplainedVariance[c], variance, pca.ExplainedVariance[c] * 1e-6);
        }
        Assert.True(pca.ExplainedVarianceRatio[0] > pca.ExplainedVarianceRatio[1]);
    }

    [Fact]
    public void DegenerateDataGivesOnlyTheAxesItHas()
    {
        var line = Enumerable.Range(0, 5).Select(i => new float[] { i, 2 * i, 0 }).ToList();
        var pca = Pca.Fit(line, 3);
        Assert.Single(pca.Components);
        Assert.True(AbsDot(pca.Components[0], [1 / Math.Sqrt(5), 2 / Math.Sqrt(5), 0]) > 1 - 1e-9);
        Assert.Empty(Pca.Fit([new float[] { 1, 2 }], 2).Components);
        Assert.Empty(Pca.Fit([new float[] { 1, 2 }, new float[] { 1, 2 }], 2).Components);
    }

    [Fact]
    public void SignsAreDeterministicAndBadInputIsNamed()
    {
        var (points, _) = Planted(30, 8, [3, 1], 5);
        var a = Pca.Fit(points, 2);
        var b = Pca.Fit(points.AsEnumerable().Reverse().ToList(), 2);
        for (int c = 0; c < 2; c++) Assert.True(a.Components[c].Zip(b.Components[c], (x, y) => x * y).Sum() > 1 - 1e-9);
        Assert.Contains("point 1", Assert.Throws<ArgumentException>(() => Pca.Fit([new float[3], new float[4]])).Message);
        Assert.Throws<ArgumentException>(() => Pca.Fit([]));
        Assert.Contains("fitted on 3", Assert.Throws<ArgumentException>(() => Pca.Fit([new float[] { 1, 2, 3 }, new float[] { 3, 2, 1 }]).Project(new float[2])).Message);
    }
}
