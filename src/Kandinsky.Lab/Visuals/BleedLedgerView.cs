using System.Globalization;
using System.Text;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors.Imaging;
using Microsoft.Data.Analysis;

namespace Kandinsky.Lab.Visuals;

/// <summary>The bleed ledger as HTML: per question a table (one row per prompt × intervention × condition, one column per stage), an interval plot and image strips.</summary>
public static class BleedLedgerView
{
    static readonly string[] ShareStages = [BleedStages.Text, BleedStages.Prior, BleedStages.Pixels, BleedStages.Clip];

    public static string Render(BleedLedger ledger)
    {
        var sb = new StringBuilder();
        sb.Append($"<p>Model <b>{Html.Encode(ledger.Model)}</b>; {ledger.Observations.Count} images ({ledger.Spec.Arms.Count} prompts × {ledger.Spec.Seeds.Count} seeds × {ledger.Spec.ImagesPerSeed} images per seed, per intervention and condition); shard {ledger.Shard}. "
            + "Shares with 95% Wilson intervals; text: the prompt's CLIP text embedding's nearest probe (0 or 1); prior: the decoded image embedding's nearest probe; pixels: the portrait reader; clip: the CLIP zero-shot reader on the image.</p>");
        var rows = Rows(ledger.Summary);
        foreach (var question in ledger.Spec.Questions.Select(q => q.ToString()))
        {
            var groups = rows.Where(r => r.Question == question && r.Metric == "share").GroupBy(r => (r.Arm, r.Intervention, r.Condition)).ToList();
            var table = groups.Select(g => new[] { Html.Encode(g.Key.Arm), Html.Encode(g.First().Prompt), Html.Encode(g.Key.Intervention), Html.Encode(g.Key.Condition) }
                .Concat(ShareStages.Select(s => g.FirstOrDefault(r => r.Stage == s) is { } r ? Cell(r) : "")));
            sb.Append(Html.Section($"P({question})",
                Html.Table(["arm", "prompt", "intervention", "condition", .. ShareStages], table) + Plot(question, groups.Select(g => (Label: $"{g.Key.Arm} · {g.Key.Intervention} · {g.Key.Condition}",
                    Row: g.FirstOrDefault(r => r.Stage == BleedStages.Pixels))).Where(x => x.Row != null).Select(x => (x.Label, x.Row!)).ToList())));
        }
        var agreement = rows.Where(r => r.Metric == "agreement").ToList();
        if (agreement.Count > 0)
            sb.Append(Html.Section("CLIP zero-shot reader vs pixel reader (images whose attribute the pixel reader found)",
                Html.Table(["arm", "intervention", "condition", "attribute", "agreement"], agreement.Select(r => new[] { Html.Encode(r.Arm), Html.Encode(r.Intervention), Html.Encode(r.Condition), Html.Encode(r.Question), Cell(r) }))));
        if (ledger.Images.Count > 0)
        {
            var strips = new StringBuilder();
            foreach (var ((arm, intervention, condition), images) in ledger.Images)
            {
                strips.Append($"<div><b>{Html.Encode(arm)} · {Html.Encode(intervention)} · {Html.Encode(condition)}</b><br/>");
                foreach (var image in images.Take(8)) strips.Append(Html.PngImage(Png.Encode(image), arm, 64));
                strips.Append("</div>");
            }
            sb.Append(Html.Section("Images (the first 8 of each)", strips.ToString()));
        }
        return Html.Section($"Bleed ledger: {ledger.Spec.Name}", sb.ToString());
    }

    sealed record Row(string Arm, string Prompt, string Intervention, string Condition, string Question, string Stage, string Metric, int? K, int N, double Estimate, double Low, double High);

    static List<Row> Rows(DataFrame df)
    {
        var list = new List<Row>();
        foreach (var r in df.Rows)
            list.Add(new Row((string)r["arm"], (string)r["prompt"], (string)r["intervention"], (string)r["condition"], (string)r["question"], (string)r["stage"],
                (string)r["metric"], (int?)r["k"], (int)r["n"], (double)r["estimate"], (double)r["low"], (double)r["high"]));
        return list;
    }

    static string Cell(Row r) => double.IsNaN(r.Low)
        ? F(r.Estimate)
        : $"{F(r.Estimate)} <span style=\"color:#777\">[{F(r.Low)}, {F(r.High)}] {r.K}/{r.N}</span>";

    static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A horizontal interval plot (inline SVG, no script): one line per group, the dot the share, the whisker its interval.</summary>
    static string Plot(string question, IReadOnlyList<(string Label, Row Row)> items)
    {
        const int left = 330, width = 300, rowHeight = 16;
        int height = items.Count * rowHeight + 30;
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 20}\" height=\"{height}\" style=\"font:11px sans-serif\">");
        for (int t = 0; t <= 4; t++)
        {
            double x = left + t * width / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"4\" x2=\"{x}\" y2=\"{height - 18}\" stroke=\"#ddd\"/><text x=\"{x}\" y=\"{height - 4}\" text-anchor=\"middle\">{t / 4.0:0.##}</text>");
        }
        for (int i = 0; i < items.Count; i++)
        {
            var (label, r) = items[i];
            double y = 12 + i * rowHeight, x = left + r.Estimate * width, lo = left + r.Low * width, hi = left + r.High * width;
            var shown = label.Length > 60 ? label[..57] + "…" : label;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{y + 4}\" text-anchor=\"end\"><title>{Html.Encode(label)}</title>{Html.Encode(shown)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lo:0.#}\" y1=\"{y}\" x2=\"{hi:0.#}\" y2=\"{y}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><circle cx=\"{x:0.#}\" cy=\"{y}\" r=\"3.5\" fill=\"#1f77b4\"/>");
        }
        svg.Append("</svg>");
        return $"<div><b>P({Html.Encode(question)}) in the pixels</b><br/>{svg}</div>";
    }
}
