using System.Globalization;
using System.Text;
using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// A small line chart drawn as inline SVG: for reports that must open anywhere with no script at all (the tour's
/// HTML needs nothing but a browser). Notebook views use plotly <see cref="Figure"/>s instead.
/// </summary>
public sealed class SvgChart(string title, string xLabel, string yLabel)
{
    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
    readonly List<(string Name, double[] X, double[] Y)> _series = [];

    public SvgChart AddSeries(string name, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"SvgChart.AddSeries: {x.Count} x values but {y.Count} y values for \"{name}\".");
        _series.Add((name, x.ToArray(), y.ToArray()));
        return this;
    }

    public string ToSvg(int width = 520, int height = 260)
    {
        const int left = 52, right = 150, top = 28, bottom = 40;
        var finite = _series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        double x0 = finite.Count == 0 ? 0 : finite.Min(p => p.First), x1 = finite.Count == 0 ? 1 : finite.Max(p => p.First);
        double y0 = finite.Count == 0 ? 0 : finite.Min(p => p.Second), y1 = finite.Count == 0 ? 1 : finite.Max(p => p.Second);
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y1 += 0.5; y0 -= 0.5; }
        double pw = width - left - right, ph = height - top - bottom;
        string X(double v) => (left + (v - x0) / (x1 - x0) * pw).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double v) => (top + (1 - (v - y0) / (y1 - y0)) * ph).ToString("F1", CultureInfo.InvariantCulture);
        string N(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append($"<text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"600\">{Html.Encode(title)}</text>");
        sb.Append($"<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>");
        foreach (var v in new[] { y0, (y0 + y1) / 2, y1 })
            sb.Append($"<text x=\"{left - 4}\" y=\"{Y(v)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{N(v)}</text>");
        foreach (var v in new[] { x0, (x0 + x1) / 2, x1 })
            sb.Append($"<text x=\"{X(v)}\" y=\"{top + ph + 14}\" text-anchor=\"middle\">{N(v)}</text>");
        sb.Append($"<text x=\"{left + pw / 2}\" y=\"{height - 6}\" text-anchor=\"middle\">{Html.Encode(xLabel)}</text>");
        sb.Append($"<text transform=\"translate(12,{top + ph / 2}) rotate(-90)\" text-anchor=\"middle\">{Html.Encode(yLabel)}</text>");
        for (int s = 0; s < _series.Count; s++)
        {
            var (name, xs, ys) = _series[s];
            var color = Palette[s % Palette.Length];
            var points = string.Join(' ', xs.Zip(ys).Where(p => double.IsFinite(p.Second)).Select(p => $"{X(p.First)},{Y(p.Second)}"));
            sb.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"/>");
            sb.Append($"<rect x=\"{left + pw + 10}\" y=\"{top + 4 + s * 16}\" width=\"10\" height=\"10\" fill=\"{color}\"/>");
            sb.Append($"<text x=\"{left + pw + 24}\" y=\"{top + 13 + s * 16}\">{Html.Encode(name)}</text>");
        }
        return sb.Append("</svg>").ToString();
    }
}
