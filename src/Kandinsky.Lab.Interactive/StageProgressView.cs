using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Interactive;

/// <summary>What a running stage's display shows: the step, the time left and the latest preview, when the stage has one.</summary>
public sealed record StageProgressView(string Stage, int Step, int? Total, TimeSpan? Eta, Image? Preview) : IRichDisplay
{
    public string ToHtml()
    {
        var status = Total is int total ? $"step {Step} / {total}" + (Eta is TimeSpan eta ? $", {eta.TotalSeconds:0.0} s left" : "") : "starting";
        var picture = Preview == null ? "" : Html.PngImage(Png.Encode(Preview), $"{Stage} step {Step}", displayWidth: 128);
        return Html.Section($"{Stage}: {status}", picture);
    }

    public override string ToString() => Total is int total ? $"{Stage}: step {Step} / {total}" : $"{Stage}: starting";
}
