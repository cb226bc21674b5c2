namespace Kandinsky.Lab.Formatting;

/// <summary>The convention-based formatter source for every <see cref="IRichDisplay"/> lab type.</summary>
public sealed class LabFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new HtmlFormatter();
        yield return new PlainTextFormatter();
    }

    public sealed class HtmlFormatter
    {
        public string MimeType => MimeTypes.Html;

        public bool Format(object instance, TextWriter writer)
        {
            if (instance is not IRichDisplay display) return false;
            writer.Write(display.ToHtml());
            return true;
        }
    }

    public sealed class PlainTextFormatter
    {
        public string MimeType => MimeTypes.PlainText;

        public bool Format(object instance, TextWriter writer)
        {
            if (instance is not IRichDisplay) return false;
            writer.Write(instance.ToString());
            return true;
        }
    }
}
