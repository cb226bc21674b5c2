using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>The eye colours read from the images generated for one prompt.</summary>
public sealed record BleedArm(string Prompt, IReadOnlyList<Image> Images, IReadOnlyList<EyeReading> Readings)
{
    public int Found => Readings.Count(r => r.Found);
    /// <summary>Share of images whose eyes were found and read as <paramref name="color"/>, over all images (as the data card counts).</summary>
    public double Share(string color) => Readings.Count == 0 ? 0 : (double)Readings.Count(r => r.Color == color) / Readings.Count;
}

/// <summary>
/// A concept-bleed experiment on the portrait world: prompts that name only the hair colour, read back the eye colour
/// from the pixels, and compare how often a given eye colour appears ("blue hair" also turning the eyes blue).
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class ConceptBleed(string eyeColor, IReadOnlyList<BleedArm> arms, int priorSteps, int decoderSteps, ulong seed) : IRichDisplay
{
    public string EyeColor { get; } = eyeColor;
    public IReadOnlyList<BleedArm> Arms { get; } = arms;
    public int PriorSteps { get; } = priorSteps;
    public int DecoderSteps { get; } = decoderSteps;
    public ulong Seed { get; } = seed;

    /// <summary>Generates <paramref name="imagesPerPrompt"/> images per prompt (one batch each) and reads their eyes.</summary>
    public static ConceptBleed Measure(KandinskyLab lab, IReadOnlyList<string> prompts, string eyeColor, int imagesPerPrompt = 16, ulong seed = 1000,
        int priorSteps = 25, int decoderSteps = 25, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var arms = new List<BleedArm>();
        foreach (var prompt in prompts)
        {
            using var result = lab.Generate(prompt,
                new PriorOptions { Steps = priorSteps, Seed = seed, ImagesPerPrompt = imagesPerPrompt, Callbacks = new("prior") { Progress = progress, CancellationToken = cancellationToken } },
                new DecodeOptions { Steps = decoderSteps, Width = lab.DefaultImageSize, Height = lab.DefaultImageSize,
                    Callbacks = new("decoder") { Progress = progress, CancellationToken = cancellationToken } });
            arms.Add(new BleedArm(prompt, result.Images, result.Images.Select(EyeColorReader.Read).ToList()));
        }
        return new ConceptBleed(eyeColor, arms, priorSteps, decoderSteps, seed);
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"Concept bleed: P({EyeColor} eyes) read from the pixels ({PriorSteps} prior + {DecoderSteps} decoder steps, seed {Seed})");
        foreach (var a in Arms)
            sb.Append($"\n  {a.Prompt}: {a.Share(EyeColor):P0} ({a.Readings.Count(r => r.Color == EyeColor)} of {a.Readings.Count}; eyes found in {a.Found})");
        return sb.ToString();
    }

    public string ToHtml()
    {
        var sb = new StringBuilder();
        var rows = Arms.Select(a => new[]
        {
            Html.Encode(a.Prompt), $"{a.Share(EyeColor):P0}", $"{a.Readings.Count(r => r.Color == EyeColor)} / {a.Readings.Count}", $"{a.Found} / {a.Readings.Count}",
            Html.Encode(string.Join(", ", a.Readings.GroupBy(r => r.Color).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))),
        });
        sb.Append(Html.Table(["prompt", $"P({Html.Encode(EyeColor)} eyes)", "count", "eyes found", "colours read"], rows));
        foreach (var a in Arms)
        {
            sb.Append($"<div style=\"margin-top:6px\"><b>{Html.Encode(a.Prompt)}</b><br/>");
            for (int i = 0; i < a.Images.Count; i++)
                sb.Append(Html.PngImage(Png.Encode(a.Images[i]), $"{a.Prompt} #{i}", 96, $"eyes: {a.Readings[i].Color}"));
            sb.Append("</div>");
        }
        return Html.Section($"Concept bleed: how often the eyes come out {EyeColor}", sb.ToString());
    }
}
