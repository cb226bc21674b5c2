using System.Net;
using System.Text;

namespace Kandinsky.Lab.Formatting;

/// <summary>Small HTML building helpers; every piece of user text goes through <see cref="Encode"/>.</summary>
public static class Html
{
    /// <summary>HTML-encodes text for element content and attribute values (quotes included).</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A table from a header row and body rows of already-encoded cell HTML.</summary>
    public static string Table(IEnumerable<string> headerHtml, IEnumerable<IEnumerable<string>> rowsHtml, string? cssClass = null)
    {
        var sb = new StringBuilder();
        sb.Append("<table class=\"kl-table").Append(cssClass == null ? "" : " " + Encode(cssClass)).Append("\"><thead><tr>");
        foreach (var h in headerHtml) sb.Append("<th>").Append(h).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rowsHtml)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(cell).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>An &lt;img&gt; showing PNG bytes inline as a data URI.</summary>
    public static string PngImage(byte[] png, string alt, int? displayWidth = null, string? title = null)
    {
        var sb = new StringBuilder("<img src=\"data:image/png;base64,");
        sb.Append(Convert.ToBase64String(png)).Append("\" alt=\"").Append(Encode(alt)).Append('"');
        if (title != null) sb.Append(" title=\"").Append(Encode(title)).Append('"');
        if (displayWidth is int w) sb.Append(" width=\"").Append(w).Append("\" style=\"image-rendering:pixelated\"");
        return sb.Append("/>").ToString();
    }

    /// <summary>A titled block with the lab's minimal styling.</summary>
    public static string Section(string title, string bodyHtml) =>
        $"<div class=\"kl-section\"><div class=\"kl-title\" style=\"font-weight:600;margin:4px 0\">{Encode(title)}</div>{bodyHtml}</div>";

    /// <summary>The lab's page styles (tables, sections) for self-contained reports.</summary>
    public const string PageStyle = """
        body{font-family:system-ui,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}
        table.kl-table{border-collapse:collapse;font-size:13px}table.kl-table td,table.kl-table th{border:1px solid #ddd;padding:2px 6px}
        .kl-section{margin:18px 0;padding:8px 12px;background:#fafafa;border:1px solid #e4e4e4;border-radius:6px}.kl-title{font-size:17px}
        """;

    /// <summary>A self-contained HTML page (no scripts, no external files) around already-built body HTML.</summary>
    public static string Page(string title, string bodyHtml) =>
        $"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{Encode(title)}</title>\n<style>{PageStyle}</style></head>\n<body><h1>{Encode(title)}</h1>\n{bodyHtml}\n</body></html>\n";
}
