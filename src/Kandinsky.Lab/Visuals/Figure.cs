using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// A plotly.js figure: traces and a layout as JSON. Renders as <c>application/vnd.plotly.v1+json</c> (Jupyter
/// front ends draw it natively) and as HTML that draws it with plotly.js (loaded from the page, or from the
/// CDN when the page has none).
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class Figure : IRichDisplay
{
    public const string PlotlyCdn = "https://cdn.plot.ly/plotly-2.35.2.min.js";
    static int _nextId;

    readonly List<JsonObject> _traces = [];

    public Figure(string? title = null)
    {
        Layout = new JsonObject { ["margin"] = new JsonObject { ["l"] = 50, ["r"] = 20, ["t"] = title == null ? 20 : 50, ["b"] = 40 } };
        if (title != null) Layout["title"] = new JsonObject { ["text"] = title };
    }

    public IReadOnlyList<JsonObject> Traces => _traces;
    public JsonObject Layout { get; }

    /// <summary>Adds a raw plotly trace object (type, x, y, …).</summary>
    public Figure AddTrace(JsonObject trace)
    {
        _traces.Add(trace);
        return this;
    }

    /// <summary>A 2-D scatter/line trace; <paramref name="hoverText"/> per point is shown on hover.</summary>
    public Figure AddScatter(IEnumerable<double> x, IEnumerable<double> y, string? name = null, string mode = "markers",
        IEnumerable<string>? hoverText = null, string? color = null)
    {
        var t = new JsonObject { ["type"] = "scatter", ["mode"] = mode, ["x"] = Array(x), ["y"] = Array(y) };
        if (name != null) t["name"] = name;
        if (hoverText != null) { t["text"] = Array(hoverText); t["hoverinfo"] = "text+name"; }
        if (color != null) t["marker"] = new JsonObject { ["color"] = color };
        return AddTrace(t);
    }

    /// <summary>A 3-D scatter trace.</summary>
    public Figure AddScatter3d(IEnumerable<double> x, IEnumerable<double> y, IEnumerable<double> z, string? name = null,
        string mode = "markers", IEnumerable<string>? hoverText = null)
    {
        var t = new JsonObject { ["type"] = "scatter3d", ["mode"] = mode, ["x"] = Array(x), ["y"] = Array(y), ["z"] = Array(z), ["marker"] = new JsonObject { ["size"] = 4 } };
        if (name != null) t["name"] = name;
        if (hoverText != null) { t["text"] = Array(hoverText); t["hoverinfo"] = "text+name"; }
        return AddTrace(t);
    }

    /// <summary>A heatmap of <paramref name="z"/> (rows × columns) with optional axis labels.</summary>
    public Figure AddHeatmap(double[,] z, IReadOnlyList<string>? xLabels = null, IReadOnlyList<string>? yLabels = null,
        string colorscale = "Viridis", double? zmin = null, double? zmax = null)
    {
        var rows = new JsonArray();
        for (int i = 0; i < z.GetLength(0); i++)
        {
            var row = new JsonArray();
            for (int j = 0; j < z.GetLength(1); j++) row.Add(Number(z[i, j]));
            rows.Add(row);
        }
        var t = new JsonObject { ["type"] = "heatmap", ["z"] = rows, ["colorscale"] = colorscale };
        if (xLabels != null) t["x"] = Array(xLabels);
        if (yLabels != null) t["y"] = Array(yLabels);
        if (zmin is double lo) t["zmin"] = lo;
        if (zmax is double hi) t["zmax"] = hi;
        return AddTrace(t);
    }

    public Figure WithAxes(string? xTitle, string? yTitle)
    {
        if (xTitle != null) Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = xTitle } };
        if (yTitle != null) Layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = yTitle } };
        return this;
    }

    public Figure WithSize(int width, int height)
    {
        Layout["width"] = width;
        Layout["height"] = height;
        return this;
    }

    /// <summary>The plotly figure JSON: <c>{"data": [...], "layout": {...}}</c>.</summary>
    public string ToJson()
    {
        var data = new JsonArray();
        foreach (var t in _traces) data.Add(t.DeepClone());
        var root = new JsonObject { ["data"] = data, ["layout"] = Layout.DeepClone() };
        return root.ToJsonString(JsonOptions);
    }

    public string ToHtml()
    {
        var id = "kl-fig-" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        // The JSON is embedded in a script: escape "</" so a label cannot close the script element.
        var json = ToJson().Replace("</", "<\\/", StringComparison.Ordinal);
        return $$"""
<div id="{{id}}" class="kl-figure"></div>
<script>
(function () {
  var fig = {{json}};
  function draw() { Plotly.newPlot("{{id}}", fig.data, fig.layout, {responsive: true}); }
  if (window.Plotly) { draw(); return; }
  var s = document.createElement("script");
  s.src = "{{PlotlyCdn}}";
  s.onload = draw;
  document.head.appendChild(s);
})();
</script>
""";
    }

    public IReadOnlyDictionary<string, string> ExtraMimeData() => new Dictionary<string, string> { [MimeTypes.Plotly] = ToJson() };

    public override string ToString()
    {
        var title = Layout["title"]?["text"]?.GetValue<string>();
        return $"Figure{(title == null ? "" : $" \"{title}\"")} with {_traces.Count} trace(s): {string.Join(", ", _traces.Select(t => (string?)t["type"] ?? "?"))}";
    }

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    static JsonArray Array(IEnumerable<double> values) => new([.. values.Select(Number)]);
    static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    /// <summary>JSON has no NaN/Infinity: plotly reads null as a gap.</summary>
    static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
