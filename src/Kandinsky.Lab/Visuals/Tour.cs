using System.Diagnostics;
using System.Text;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Visuals;

/// <summary>Settings of the guided tour (defaults: the data card's recommended settings for Kandinsky-Micro).</summary>
public sealed record TourOptions
{
    public IReadOnlyList<string> Prompts { get; init; } = ["a person with blue hair and green eyes", "человек с рыжими волосами", "a cartoon face with pink hair wearing a yellow shirt"];
    public int PriorSteps { get; init; } = 25;
    public int DecoderSteps { get; init; } = 25;
    public float Guidance { get; init; } = 4f;
    public ulong Seed { get; init; } = 42;
    public (string A, string B) BleedPrompts { get; init; } = ("a person with blue hair", "a person with brown hair");
    public string BleedEyeColor { get; init; } = "blue";
    public int BleedImagesPerPrompt { get; init; } = 12;
}

/// <summary>What the tour produced: the report, the images it wrote and the bleed figure.</summary>
public sealed record TourResult(string ReportPath, IReadOnlyList<string> ImagePaths, ConceptBleed Bleed, TimeSpan Elapsed);

/// <summary>
/// The stage-by-stage walk through Kandinsky 2.1 on a model (the README's main job on the embedded Kandinsky-Micro):
/// encode prompts in two languages, follow the prior's trajectory, decode with previews, and measure a first
/// concept bleed on the pixels. Writes a self-contained HTML report (inline SVG and PNG, no scripts) and PNGs.
/// </summary>
public static class Tour
{
    public static TourResult Run(KandinskyLab lab, string outDir, TourOptions? options = null, IProgress<string>? log = null,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new TourOptions();
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateDirectory(outDir).FullName;
        var images = new List<string>();
        var body = new StringBuilder();
        int size = lab.DefaultImageSize;

        log?.Report($"1/4 encoding {options.Prompts.Count} prompts with CLIP and MCLIP");
        using var text = lab.EncodeText(options.Prompts);
        body.Append(Html.Section("1 · Two tokenizers, two text encoders",
            "<p>Every prompt is read twice: by CLIP's byte-level BPE for the prior, and by XLM-RoBERTa's SentencePiece for the decoder — which is what makes the model multilingual.</p>"
            + string.Concat(Enumerable.Range(0, text.Count).Select(i =>
                $"<h4>{Html.Encode(text.Prompts[i])}</h4><div style=\"display:flex;gap:24px;flex-wrap:wrap\"><div><b>CLIP</b>{text.ClipTokens![i].ToHtml()}</div><div><b>XLM-R</b>{text.XlmrTokens![i].ToHtml()}</div></div>"))));

        log?.Report($"2/4 running the prior ({options.PriorSteps} steps, guidance {options.Guidance})");
        using var prior = lab.Prior(text, new PriorOptions
        {
            Steps = options.PriorSteps, GuidanceScale = options.Guidance, Seed = options.Seed,
            Callbacks = new("prior") { Progress = progress, CancellationToken = cancellationToken },
        });
        body.Append(Html.Section("2 · The prior walks from noise to an image embedding", PriorCharts(prior)));

        log?.Report($"3/4 decoding ({options.DecoderSteps} steps) with previews");
        using var decoder = lab.Decode(prior, text, new DecodeOptions
        {
            Steps = options.DecoderSteps, GuidanceScale = options.Guidance, Seed = options.Seed, Width = size, Height = size, DecodePreviews = true,
            Callbacks = new("decoder") { Progress = progress, CancellationToken = cancellationToken },
        });
        for (int i = 0; i < decoder.Images.Count; i++)
        {
            var path = Path.Combine(dir, $"tour-{i}.png");
            Png.Save(decoder.Images[i], path);
            images.Add(path);
        }
        body.Append(Html.Section("3 · The decoder turns the embedding into pixels", DecoderStrip(decoder)));

        log?.Report($"4/4 concept bleed: {options.BleedImagesPerPrompt} images each for \"{options.BleedPrompts.A}\" and \"{options.BleedPrompts.B}\"");
        var bleed = ConceptBleed.Measure(lab, [options.BleedPrompts.A, options.BleedPrompts.B], options.BleedEyeColor, options.BleedImagesPerPrompt,
            options.Seed, options.PriorSteps, options.DecoderSteps, progress, cancellationToken);
        body.Append($"<p>Neither prompt names the eyes. {DataCardNote(lab)}</p>");
        body.Append(bleed.ToHtml());
        body.Append($"<p>{BleedFinding(bleed)}</p>");

        var report = Path.Combine(dir, "tour.html");
        File.WriteAllText(report, Page(lab, options, body.ToString(), clock.Elapsed));
        return new TourResult(report, images, bleed, clock.Elapsed);
    }

    static string PriorCharts(PriorTrajectory prior)
    {
        var steps = prior.Steps.Select(s => (double)s.Index).ToArray();
        var norms = new SvgChart("Norm of the predicted clean embedding", "step", "|x₀|");
        var cosines = new SvgChart("Cosine of the prediction to …", "step", "cosine");
        for (int row = 0; row < prior.ImageEmbeds.Count; row++)
        {
            // Predictions mapped out of the prior's normalised space (x · clip_std + clip_mean) to compare with CLIP vectors.
            var final = prior.ImageEmbeds.Vector(row);
            var textVec = prior.TextEmbeds.Vector(row);
            var predictions = prior.Steps.Select(s => prior.LatentSpace.ToEmbedding(Row(s.PredOriginal, row))).ToList();
            norms.AddSeries($"prompt {row + 1}", steps, predictions.Select(p => Math.Sqrt(p.Sum(v => (double)v * v))).ToArray());
            cosines.AddSeries($"{row + 1}: final", steps, predictions.Select(p => ImageEmbedding.Cosine(p, final)).ToArray());
            cosines.AddSeries($"{row + 1}: text", steps, predictions.Select(p => ImageEmbedding.Cosine(p, textVec)).ToArray());
        }
        return "<p>At each step the prior predicts the clean CLIP image embedding; guidance pushes it away from the prediction for the empty prompt. "
            + Html.Encode(PriorFinding(prior)) + "</p>"
            + $"<div style=\"display:flex;flex-wrap:wrap\">{norms.ToSvg()}{cosines.ToSvg()}</div>";
    }

    /// <summary>What this run's prior did, from its numbers: when each prediction came within cosine 0.99 of its final embedding for good, and how near the text it ended.</summary>
    internal static string PriorFinding(PriorTrajectory prior)
    {
        const double Settled = 0.99;
        int n = prior.Steps.Count;
        var settledAt = new List<int>();
        var toText = new List<double>();
        for (int row = 0; row < prior.ImageEmbeds.Count; row++)
        {
            var final = prior.ImageEmbeds.Vector(row);
            var cosines = prior.Steps.Select(s => ImageEmbedding.Cosine(prior.LatentSpace.ToEmbedding(Row(s.PredOriginal, row)), final)).ToList();
            int last = cosines.FindLastIndex(c => c < Settled);
            settledAt.Add(last + 2);   // the 1-based step after the last one below the threshold
            toText.Add(ImageEmbedding.Cosine(final, prior.TextEmbeds.Vector(row)));
        }
        var settled = settledAt.Count(s => s <= n);
        string when = settled == 0 ? $"In this run no prediction came within cosine {Settled} of its final embedding before the last step."
            : $"In this run the predictions came within cosine {Settled} of their final embeddings for good at step {settledAt.Where(s => s <= n).Min()}–{settledAt.Where(s => s <= n).Max()} of {n}"
              + (settled < settledAt.Count ? $" ({settledAt.Count - settled} of {settledAt.Count} not before the end)." : ".");
        return when + FormattableString.Invariant($" Each final embedding's cosine to its own text embedding is {toText.Min():F2}–{toText.Max():F2}.");
    }

    /// <summary>The data card's numbers, said to be the data card's, for the embedded model only: another checkpoint was trained on other data.</summary>
    static string DataCardNote(KandinskyLab lab) =>
        IsEmbeddedModel(lab)
            ? "Kandinsky-Micro's data card says that in its training data blue hair comes with blue eyes 67% of the time (17% for other hair colours): does the model carry that over?"
            : "The eyes are read from the pixels by the portrait reader, which knows Kandinsky-Micro's portrait world; on another checkpoint its readings say little.";

    static bool IsEmbeddedModel(KandinskyLab lab) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(lab.PriorPipeline.Path, ".."))),
            Path.TrimEndingDirectorySeparator(Path.GetFullPath(KandinskyLab.MicroPath)), StringComparison.Ordinal);

    /// <summary>What this run measured: each arm's share with its Wilson 95% interval, and whether the intervals overlap.</summary>
    internal static string BleedFinding(ConceptBleed bleed)
    {
        var colour = bleed.EyeColor;
        var estimates = bleed.Arms.Select(a => (a.Prompt, a.Readings.Count(r => r.Color == colour), a.Readings.Count)).ToList();
        var parts = estimates.Select(e =>
        {
            var w = BleedStatistics.Wilson(e.Item2, e.Item3);
            return FormattableString.Invariant($"“{Html.Encode(e.Prompt)}”: {e.Item2} of {e.Item3} ({100 * w.Value:F0}%, 95% interval {100 * w.Low:F0}–{100 * w.High:F0}%)");
        });
        var intervals = estimates.Select(e => BleedStatistics.Wilson(e.Item2, e.Item3)).ToList();
        bool apart = intervals.Count == 2 && (intervals[0].Low > intervals[1].High || intervals[1].Low > intervals[0].High);
        return $"Measured in this run, {Html.Encode(colour)} eyes: " + string.Join("; ", parts) + ". "
            + (intervals.Count != 2 ? "" : apart ? "The intervals do not overlap: at this sample size the difference is real."
                : "The intervals overlap: at this sample size the run cannot tell the two apart (more images per prompt narrow them).");
    }

    static float[] Row(Tensors.Tensor t, int row)
    {
        using var r = t.Select(0, row);
        return r.ToArray();
    }

    static string DecoderStrip(DecoderTrajectory decoder)
    {
        var sb = new StringBuilder("<p>Each row: the decoder's predicted clean image at a few of its steps, then the final image.</p>");
        int n = decoder.Steps.Count;
        var shown = new[] { 0, n / 4, n / 2, 3 * n / 4, n - 1 }.Distinct().ToArray();
        for (int i = 0; i < decoder.Images.Count; i++)
        {
            sb.Append($"<div><b>{Html.Encode(decoder.Labels[i])}</b><br/>");
            foreach (var s in shown) sb.Append(Html.PngImage(Png.Encode(decoder.Previews[s][i]), $"step {s}", 96, $"step {s}, t = {decoder.Timesteps[s]}"));
            sb.Append(" → ").Append(Html.PngImage(Png.Encode(decoder.Images[i]), "final", 128, "final image")).Append("</div>");
        }
        return sb.ToString();
    }

    static string Page(KandinskyLab lab, TourOptions options, string body, TimeSpan elapsed) => $$"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Kandinsky.Lab tour — {{Html.Encode(lab.Name)}}</title>
<style>{{Html.PageStyle}}</style></head>
<body><h1>Kandinsky.Lab — a tour of Kandinsky 2.1, one stage at a time</h1>
<p>Model: <b>{{Html.Encode(lab.Name)}}</b> ({{Html.Encode(lab.PriorPipeline.Path)}}, {{Html.Encode(lab.DecoderPipeline.Path)}}).
Prior {{options.PriorSteps}} steps, decoder {{options.DecoderSteps}} steps, guidance {{options.Guidance}}, seed {{options.Seed}}, {{lab.DefaultImageSize}}×{{lab.DefaultImageSize}} px.
Generated in {{elapsed.TotalSeconds:F1}} s.</p>
{{body}}
</body></html>
""";
}
