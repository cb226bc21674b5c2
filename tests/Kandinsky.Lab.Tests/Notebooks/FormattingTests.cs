using System.Text.Json.Nodes;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Notebooks;
using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Tests.Notebooks;

public class FormattingTests
{
    const string Hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>";

    [Fact]
    public void TableEncodesUserTextInHtmlAndQuotesCsv()
    {
        var t = new Table("prompt", "n") { Caption = Hostile }.AddRow(Hostile, 3).AddRow("a,b \"q\"", 1.5f);
        var html = t.ToHtml();
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Equal("prompt,n\r\n\"<script>alert('x')</script>\"\"><img src=x onerror=alert(1)>\",3\r\n\"a,b \"\"q\"\"\",1.5\r\n", t.ToCsv());
        Assert.Throws<ArgumentException>(() => t.AddRow(1));
    }

    [Fact]
    public void ConventionFormatterIsFoundByAttributeName()
    {
        var bundle = DisplayFormatter.ToMimeBundle(new Table("x").AddRow(1));
        Assert.Contains("<table", bundle[MimeTypes.Html]);
        Assert.Contains("x", bundle[MimeTypes.PlainText]);
        var plain = DisplayFormatter.ToMimeBundle(42);
        Assert.Equal("42", plain[MimeTypes.PlainText]);
        Assert.False(plain.ContainsKey(MimeTypes.Html));
    }

    [Fact]
    public void ForeignTypeWithConventionAttributeIsFormatted()
    {
        var bundle = DisplayFormatter.ToMimeBundle(new Foreign());
        Assert.Equal("<b>foreign</b>", bundle[MimeTypes.Html]);
    }

    [Fact]
    public void FigureJsonHasPlotlyStructureAndNoRawNaN()
    {
        var fig = new Figure("t").AddScatter([1, double.NaN], [2, 3], "s", hoverText: ["a", "b"])
            .AddHeatmap(new double[,] { { 1, 2 }, { 3, 4 } }, ["x1", "x2"], ["y1", "y2"]);
        var json = (JsonObject)JsonNode.Parse(fig.ToJson())!;
        var data = (JsonArray)json["data"]!;
        Assert.Equal(2, data.Count);
        Assert.Equal("scatter", (string?)data[0]!["type"]);
        Assert.Null(((JsonArray)data[0]!["x"]!)[1]);
        Assert.Equal("heatmap", (string?)data[1]!["type"]);
        Assert.Equal("t", (string?)json["layout"]!["title"]!["text"]);
        Assert.Contains(MimeTypes.Plotly, ((IRichDisplay)fig).ExtraMimeData().Keys);
    }

    [Fact]
    public void FigureHtmlCannotBeBrokenOutOfByLabels()
    {
        var html = new Figure("</script><script>alert(1)</script>").ToHtml();
        Assert.Equal(2, html.Split("<script").Length);
        Assert.DoesNotContain("alert(1)</script>", html);
    }

    /// <summary>A type from another library, marked with that library's own attribute of the conventional name.</summary>
    [TypeFormatterSource(typeof(ForeignSource))]
    sealed class Foreign;

    [AttributeUsage(AttributeTargets.Class)]
    sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
    {
        public Type FormatterSourceType { get; } = formatterSourceType;
    }

    sealed class ForeignSource
    {
        public IEnumerable<object> CreateTypeFormatters() { yield return new ForeignHtml(); }
    }

    sealed class ForeignHtml
    {
        public string MimeType => "text/html";
        public bool Format(object instance, TextWriter writer) { writer.Write("<b>foreign</b>"); return true; }
    }
}
