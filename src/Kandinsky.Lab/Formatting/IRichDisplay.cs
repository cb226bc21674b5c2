namespace Kandinsky.Lab.Formatting;

/// <summary>
/// A lab object that renders itself. Every result type implements it and carries
/// <c>[TypeFormatterSource(typeof(LabFormatterSource))]</c>, so any host that honours the convention shows
/// <see cref="ToHtml"/>, and the plain-text form is <see cref="object.ToString"/>.
/// </summary>
public interface IRichDisplay
{
    /// <summary>An HTML fragment (no &lt;html&gt;/&lt;body&gt;); all user text inside is HTML-encoded.</summary>
    string ToHtml();

    /// <summary>
    /// Extra representations beyond HTML and plain text (e.g. <c>application/vnd.plotly.v1+json</c> for a figure,
    /// <c>image/png</c> base64 for an image), keyed by MIME type. Most objects have none.
    /// </summary>
    IReadOnlyDictionary<string, string> ExtraMimeData() => EmptyMime;

    static readonly IReadOnlyDictionary<string, string> EmptyMime = new Dictionary<string, string>();
}
