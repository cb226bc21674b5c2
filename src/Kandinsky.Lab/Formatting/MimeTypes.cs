namespace Kandinsky.Lab.Formatting;

/// <summary>The MIME types the lab renders.</summary>
public static class MimeTypes
{
    public const string Html = "text/html";
    public const string PlainText = "text/plain";
    public const string Png = "image/png";
    public const string Plotly = "application/vnd.plotly.v1+json";
}
