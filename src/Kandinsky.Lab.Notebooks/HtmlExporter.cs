using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Formatting;
using Markdig;

namespace Kandinsky.Lab.Notebooks;

/// <summary>
/// Writes an executed notebook as one self-contained HTML page: Markdown rendered, code shown, outputs as the
/// richest MIME type (Plotly figures drawn with plotly.js, PNGs inline, HTML as is, text escaped).
/// plotly.js is inlined when its source is given (offline), else loaded from its CDN.
/// </summary>
public static class HtmlExporter
{
    static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    public static string Export(Notebook notebook, string title, string? plotlyJsSource = null)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Html.Encode(title)).Append("</title>\n");
        sb.Append("<style>").Append(Css).Append("</style>\n");
        if (plotlyJsSource != null) sb.Append("<script>").Append(plotlyJsSource.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)).Append("</script>\n");
        else sb.Append("<script src=\"").Append(Visuals.Figure.PlotlyCdn).Append("\"></script>\n");
        sb.Append("</head><body><main>\n");
        int figure = 0;
        var cells = notebook.Cells;
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            switch (cell.CellType)
            {
                case "markdown":
                    sb.Append("<section class=\"md\">").Append(Markdig.Markdown.ToHtml(cell.Source, Markdown)).Append("</section>\n");
                    break;
                case "code":
                    sb.Append("<section class=\"code\"><div class=\"prompt\">[").Append(cell.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? " ").Append("]</div>");
                    sb.Append("<pre class=\"src\"><code>").Append(Html.Encode(cell.Source)).Append("</code></pre>");
                    foreach (var output in cell.Outputs.OfType<JsonObject>()) AppendOutput(sb, output, ref figure);
                    sb.Append("</section>\n");
                    break;
                default:
                    sb.Append("<pre class=\"raw\">").Append(Html.Encode(cell.Source)).Append("</pre>\n");
                    break;
            }
        }
        sb.Append("</main></body></html>\n");
        return sb.ToString();
    }

    static void AppendOutput(StringBuilder sb, JsonObject output, ref int figure)
    {
        var type = (string?)output["output_type"];
        sb.Append("<div class=\"out\">");
        switch (type)
        {
            case "stream":
                sb.Append("<pre class=\"stream\">").Append(Html.Encode(Text(output["text"]))).Append("</pre>");
                break;
            case "error":
                sb.Append("<pre class=\"error\">").Append(Html.Encode($"{(string?)output["ename"]}: {(string?)output["evalue"]}")).Append("</pre>");
                break;
            case "display_data" or "execute_result":
                var data = output["data"] as JsonObject ?? new JsonObject();
                if (data[MimeTypes.Plotly] is JsonObject fig)
                {
                    var id = $"kl-export-fig-{++figure}";
                    var json = fig.ToJsonString(new JsonSerializerOptions { WriteIndented = false }).Replace("</", "<\\/", StringComparison.Ordinal);
                    sb.Append("<div id=\"").Append(id).Append("\"></div><script>(function(){var f=").Append(json)
                      .Append(";Plotly.newPlot(\"").Append(id).Append("\",f.data,f.layout,{responsive:true});})();</script>");
                }
                else if (data.ContainsKey(MimeTypes.Html)) sb.Append(Text(data[MimeTypes.Html]));
                else if (data[MimeTypes.Png] is JsonValue png) sb.Append("<img alt=\"output\" src=\"data:image/png;base64,").Append(Html.Encode((string?)png)).Append("\"/>");
                else sb.Append("<pre class=\"text\">").Append(Html.Encode(Text(data[MimeTypes.PlainText]))).Append("</pre>");
                break;
        }
        sb.Append("</div>");
    }

    static string Text(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l ?? "")),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        null => "",
        _ => node.ToJsonString(),
    };

    const string Css = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:1100px;margin:0 auto;padding:24px}
section{margin:12px 0}
section.code{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
.prompt{color:#888;font-size:12px;font-family:monospace}
pre{white-space:pre-wrap;word-break:break-word;margin:4px 0}
pre.src{background:#f4f4f8;padding:8px;border-radius:4px;font-size:13px}
pre.error{color:#b00020;background:#fff0f0;padding:6px}
.out{margin-top:6px;overflow-x:auto}
table.kl-table{border-collapse:collapse;font-size:13px}
table.kl-table td,table.kl-table th{border:1px solid #ddd;padding:2px 6px}
""";
}
