using System.Text;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// Images in a grid with a caption under each, shown at <see cref="DisplaySize"/> pixels (small images are scaled up
/// without smoothing). A grid of one image is also offered as <c>image/png</c>, so front ends can show it natively.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class ImageGrid : IRichDisplay
{
    public ImageGrid(IReadOnlyList<Image> images, IReadOnlyList<string>? captions = null, int columns = 0, int displaySize = 128, string? title = null)
    {
        if (captions != null && captions.Count != images.Count)
            throw new ArgumentException($"ImageGrid: {captions.Count} captions for {images.Count} images.", nameof(captions));
        if (columns < 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "ImageGrid: columns must be ≥ 0 (0 = automatic).");
        if (displaySize < 1) throw new ArgumentOutOfRangeException(nameof(displaySize), displaySize, "ImageGrid: displaySize must be ≥ 1.");
        Images = images;
        Captions = captions ?? images.Select((_, i) => $"#{i}").ToList();
        Columns = columns > 0 ? columns : Math.Clamp(images.Count, 1, 8);
        DisplaySize = displaySize;
        Title = title;
    }

    public IReadOnlyList<Image> Images { get; }
    public IReadOnlyList<string> Captions { get; }
    public int Columns { get; }
    public int DisplaySize { get; }
    public string? Title { get; }

    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"kl-grid\" style=\"display:grid;grid-template-columns:repeat(").Append(Columns)
          .Append(", max-content);gap:8px;align-items:start\">");
        for (int i = 0; i < Images.Count; i++)
        {
            sb.Append("<figure style=\"margin:0;text-align:center;max-width:").Append(Math.Max(DisplaySize, 64)).Append("px\">")
              .Append(Html.PngImage(Png.Encode(Images[i]), Captions[i], DisplaySize, Captions[i]))
              .Append("<figcaption style=\"font-size:12px;word-break:break-word\">").Append(Html.Encode(Captions[i])).Append("</figcaption></figure>");
        }
        sb.Append("</div>");
        return Title == null ? sb.ToString() : Html.Section(Title, sb.ToString());
    }

    public IReadOnlyDictionary<string, string> ExtraMimeData() => Images.Count == 1
        ? new Dictionary<string, string> { [MimeTypes.Png] = Convert.ToBase64String(Png.Encode(Images[0])) }
        : IRichDisplay.EmptyMime;

    public override string ToString()
    {
        var sb = new StringBuilder($"ImageGrid{(Title == null ? "" : $" \"{Title}\"")}: {Images.Count} image(s)");
        for (int i = 0; i < Images.Count; i++) sb.Append($"\n  [{i}] {Images[i].Width}x{Images[i].Height}  {Captions[i]}");
        return sb.ToString();
    }
}
