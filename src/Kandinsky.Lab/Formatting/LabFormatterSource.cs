namespace Kandinsky.Lab.Formatting;

/// <summary>The convention-based formatter source of every lab type: HTML and plain text through <see cref="LabFormatting.TryFormat"/>.</summary>
public sealed class LabFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new Formatter(MimeTypes.Html);
        yield return new Formatter(MimeTypes.PlainText);
    }

    public sealed class Formatter(string mimeType)
    {
        public string MimeType { get; } = mimeType;

        public bool Format(object instance, TextWriter writer) => LabFormatting.TryFormat(instance, MimeType, writer);
    }
}
