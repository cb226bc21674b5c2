using System.Globalization;
using System.Text;
using System.Text.Json;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// HTML and plots of a <see cref="DecoderTrajectory"/>: the final images, a grid of the predicted-clean previews
/// over the steps, a step slider (a small inline script, no dependencies) and the latents' statistics per step.
/// </summary>
public static class DecoderTrajectoryView
{
    const int GridColumns = 8;
    static int _nextSliderId;

    public static string Render(DecoderTrajectory d)
    {
        var (o, run) = (d.Options, d.Run);
        var sb = new StringBuilder();
        sb.Append("<div style=\"font-size:12px\">").Append(Html.Encode(
            $"{run.Mode}, {d.Steps.Count} {run.Scheduler} steps, guidance {o.GuidanceScale.ToString(CultureInfo.InvariantCulture)}, {d.SeedText}, " +
            $"{o.Width}×{o.Height} (latents {run.LatentHeight}×{run.LatentWidth})")).Append("</div>");
        sb.Append(d.Grid().ToHtml());
        if (d.Steps.Count > 0)
        {
            for (int row = 0; row < d.Images.Count; row++) sb.Append(d.PreviewGrid(row).ToHtml());
            sb.Append(StepSlider(d));
            sb.Append(d.LatentStatistics().ToHtml());
        }
        return Html.Section("Decoder trajectory", sb.ToString());
    }

    /// <summary>The final images captioned with their prompts.</summary>
    public static ImageGrid Grid(this DecoderTrajectory d, int displaySize = 128) => new(d.Images, d.Labels, displaySize: displaySize, title: "Images");

    /// <summary>
    /// The previews of image <paramref name="row"/> at up to <paramref name="columns"/> evenly spaced steps (the first and
    /// the last included), followed by the final image.
    /// </summary>
    public static ImageGrid PreviewGrid(this DecoderTrajectory d, int row = 0, int columns = GridColumns)
    {
        if (row < 0 || row >= d.Images.Count) throw new ArgumentOutOfRangeException(nameof(row), row, $"DecoderTrajectory has {d.Images.Count} image(s).");
        var steps = SpreadSteps(d.Steps.Count, columns);
        var images = steps.Select(i => d.Previews[i][row]).Append(d.Images[row]).ToList();
        var captions = steps.Select(i => $"step {i} (t = {d.Timesteps[i]})").Append("final").ToList();
        return new ImageGrid(images, captions, images.Count, 96, $"x̂₀ over the steps: {d.Labels[row]}");
    }

    /// <summary>Up to <paramref name="count"/> step indices from 0 to steps − 1, evenly spaced.</summary>
    public static IReadOnlyList<int> SpreadSteps(int steps, int count)
    {
        if (steps <= 0) return [];
        if (count >= steps) return [.. Enumerable.Range(0, steps)];
        if (count <= 1) return [steps - 1];
        return [.. Enumerable.Range(0, count).Select(k => (int)Math.Round(k * (steps - 1) / (double)(count - 1))).Distinct()];
    }

    /// <summary>A range input over the steps that switches every image's preview; starts on the last step.</summary>
    public static string StepSlider(DecoderTrajectory d)
    {
        if (d.Steps.Count == 0) return "";
        var id = "kl-slider-" + Interlocked.Increment(ref _nextSliderId).ToString(CultureInfo.InvariantCulture);
        int last = d.Steps.Count - 1;
        var frames = d.Previews.Select(images => images.Select(DataUri).ToArray()).ToArray();
        var labels = d.Timesteps.Select((t, i) => $"step {i} of {d.Steps.Count} (t = {t})").ToArray();
        var sb = new StringBuilder();
        sb.Append("<div class=\"kl-slider\" id=\"").Append(id).Append("\"><div><input type=\"range\" min=\"0\" max=\"").Append(last)
          .Append("\" step=\"1\" value=\"").Append(last).Append("\" style=\"width:320px\"/> <span class=\"kl-slider-label\">").Append(Html.Encode(labels[last]))
          .Append("</span></div><div style=\"display:flex;gap:8px;flex-wrap:wrap\">");
        for (int row = 0; row < d.Images.Count; row++)
            sb.Append("<figure style=\"margin:0;text-align:center\"><img src=\"").Append(frames[last][row]).Append("\" alt=\"").Append(Html.Encode(d.Labels[row]))
              .Append("\" width=\"160\" style=\"image-rendering:pixelated\"/><figcaption style=\"font-size:12px\">").Append(Html.Encode(d.Labels[row])).Append("</figcaption></figure>");
        sb.Append("</div></div>");
        // The script holds only data URIs and step labels (no user text); JSON-encoded, so nothing can close the element.
        var framesJson = JsonSerializer.Serialize(frames);
        var labelsJson = JsonSerializer.Serialize(labels);
        sb.Append($$"""
<script>
(function () {
  var root = document.getElementById("{{id}}");
  var frames = {{framesJson}};
  var labels = {{labelsJson}};
  var input = root.querySelector("input"), label = root.querySelector(".kl-slider-label"), images = root.querySelectorAll("img");
  function show(step) {
    images.forEach(function (img, row) { img.src = frames[step][row]; });
    label.textContent = labels[step];
  }
  input.addEventListener("input", function () { show(Number(input.value)); });
})();
</script>
""");
        return sb.ToString();
    }

    /// <summary>Mean and standard deviation per step of the latents x_t, the predicted clean latents x̂₀ and the guided noise prediction (all images together).</summary>
    public static Figure LatentStatistics(this DecoderTrajectory d)
    {
        var x = d.Steps.Select(s => (double)s.Index).ToList();
        var hover = d.Steps.Select(s => $"step {s.Index}, t = {s.Timestep}").ToList();
        var latents = d.Steps.Select(s => MeanStd(s.Latents)).ToList();
        var predicted = d.Steps.Select(s => MeanStd(s.PredOriginal)).ToList();
        var noise = d.Steps.Select(s => MeanStd(s.GuidedNoise)).ToList();
        return new Figure("Decoder latents per step").WithAxes("step", "value").WithSize(760, 380)
            .AddScatter(x, latents.Select(m => m.Std), "std x_t", "lines+markers", hover, "#1f77b4")
            .AddScatter(x, latents.Select(m => m.Mean), "mean x_t", "lines", hover, "#1f77b4", "dash")
            .AddScatter(x, predicted.Select(m => m.Std), "std x̂₀", "lines+markers", hover, "#ff7f0e")
            .AddScatter(x, predicted.Select(m => m.Mean), "mean x̂₀", "lines", hover, "#ff7f0e", "dash")
            .AddScatter(x, noise.Select(m => m.Std), "std ε̂ (guided)", "lines+markers", hover, "#2ca02c")
            .AddScatter(x, noise.Select(m => m.Mean), "mean ε̂ (guided)", "lines", hover, "#2ca02c", "dash");
    }

    static (double Mean, double Std) MeanStd(Tensors.Tensor t) => Analysis.StepStatistics.MeanStd(t);

    static string DataUri(Image image) => "data:image/png;base64," + Convert.ToBase64String(Png.Encode(image));
}
