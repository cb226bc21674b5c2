using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Formatting;

/// <summary>
/// The one entry point that renders a lab object as a MIME type, for every host (the convention-based
/// <see cref="LabFormatterSource"/>, our notebook runner, a .NET Interactive adapter): <c>text/html</c> comes from the
/// view registered for the object's type (the stage results, whose types know no views) or the object's own
/// <see cref="IRichDisplay.ToHtml"/>; <c>text/plain</c> is its <see cref="object.ToString"/>; other types come from
/// <see cref="IRichDisplay.ExtraMimeData"/>.
/// </summary>
public static class LabFormatting
{
    /// <summary>The HTML view of each result type that does not render itself: one registry, type → view.</summary>
    static readonly IReadOnlyDictionary<Type, Func<object, string>> HtmlViews = new Dictionary<Type, Func<object, string>>
    {
        [typeof(TextEncoding)] = o => TextEncodingView.Render((TextEncoding)o),
        [typeof(PriorTrajectory)] = o => PriorTrajectoryView.Render((PriorTrajectory)o),
        [typeof(PriorTrajectoryAnalysis)] = o => PriorTrajectoryView.Render((PriorTrajectoryAnalysis)o),
        [typeof(DecoderTrajectory)] = o => DecoderTrajectoryView.Render((DecoderTrajectory)o),
        [typeof(ImageEmbedding)] = o => EmbeddingView.Render((ImageEmbedding)o),
        [typeof(BleedLedger)] = o => BleedLedgerView.Render((BleedLedger)o),
        [typeof(AttentionMaps)] = o => AttentionMapsView.Render((AttentionMaps)o),
        [typeof(GenerationResult)] = o =>
        {
            var g = (GenerationResult)o;
            return TextEncodingView.Render(g.Text) + PriorTrajectoryView.Render(g.Prior) + DecoderTrajectoryView.Render(g.Decoder);
        },
    };

    /// <summary>The types this layer renders: each registered result type, and <see cref="IRichDisplay"/> for the objects that render themselves.</summary>
    public static IEnumerable<Type> RenderedTypes => HtmlViews.Keys.Append(typeof(IRichDisplay));

    /// <summary>True when <paramref name="value"/> is a lab object this layer renders (a registered type or an <see cref="IRichDisplay"/>).</summary>
    public static bool IsLabObject(object value) => value is IRichDisplay || HtmlViews.ContainsKey(value.GetType());

    /// <summary>Writes <paramref name="value"/> as <paramref name="mimeType"/> to <paramref name="writer"/>; false when it has no such form.</summary>
    public static bool TryFormat(object value, string mimeType, TextWriter writer)
    {
        if (!IsLabObject(value)) return false;
        string? text = mimeType switch
        {
            MimeTypes.Html => HtmlViews.TryGetValue(value.GetType(), out var view) ? view(value) : ((IRichDisplay)value).ToHtml(),
            MimeTypes.PlainText => value.ToString() ?? "",
            _ => value is IRichDisplay rich && rich.ExtraMimeData().TryGetValue(mimeType, out var data) ? data : null,
        };
        if (text == null) return false;
        writer.Write(text);
        return true;
    }

    /// <summary>The HTML of a lab object (what a notebook shows); throws for an object this layer does not render.</summary>
    public static string ToHtml(object value)
    {
        using var writer = new StringWriter();
        return TryFormat(value, MimeTypes.Html, writer) ? writer.ToString()
            : throw new ArgumentException($"LabFormatting: {value.GetType().Name} is not a lab object with an HTML view.", nameof(value));
    }
}
