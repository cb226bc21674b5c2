using System.Text.RegularExpressions;
using System.Xml;

namespace Kandinsky.Lab.Tests.Visuals;

/// <summary>
/// Checks an HTML fragment the lab produced: it must be well-formed XHTML-ish markup (every element closed, void
/// elements self-closed, attributes quoted) once script bodies are set aside, and it must hold no live markup that
/// came from user text: no event-handler attributes, no image that is not an inline PNG, no script but the lab's own.
/// </summary>
public static partial class HtmlCheck
{
    public static XmlDocument Parse(string html)
    {
        var scripts = new List<string>();
        var stripped = ScriptElement().Replace(html, m => { scripts.Add(m.Groups[1].Value); return "<script/>"; });
        var doc = new XmlDocument();
        try { doc.LoadXml("<root>" + stripped + "</root>"); }
        catch (XmlException e)
        {
            int at = Math.Max(0, Math.Min(stripped.Length - 1, IndexOf(stripped, e.LineNumber, e.LinePosition)));
            throw new Xunit.Sdk.XunitException($"HTML is not well-formed: {e.Message}\n…{stripped.Substring(Math.Max(0, at - 120), Math.Min(240, stripped.Length - Math.Max(0, at - 120)))}…");
        }
        foreach (var body in scripts)
        {
            Assert.DoesNotContain("</", body);          // nothing in a script may close an element
            Assert.StartsWith("(function", body.TrimStart());
        }
        foreach (XmlElement e in doc.GetElementsByTagName("*"))
        {
            foreach (XmlAttribute a in e.Attributes)
            {
                Assert.False(a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"live event handler attribute {a.Name}=\"{a.Value}\" on <{e.Name}>");
                Assert.False(a.Value.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase), $"javascript: URL in {a.Name} on <{e.Name}>");
            }
            if (e.Name == "img") Assert.StartsWith("data:image/png;base64,", e.GetAttribute("src"));
            if (e.Name == "script") Assert.False(e.HasAttributes, "a script element with attributes");
        }
        return doc;
    }

    /// <summary>Parses and asserts that none of the hostile text's markup survived as elements.</summary>
    public static void AssertSafe(string html, int minimumScripts = 0)
    {
        var doc = Parse(html);
        Assert.True(doc.GetElementsByTagName("script").Count >= minimumScripts);
        Assert.DoesNotContain("<script>alert", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
    }

    static int IndexOf(string text, int line, int column)
    {
        int index = 0;
        for (int l = 1; l < line; l++) index = text.IndexOf('\n', index) + 1;
        return index + column - 1;
    }

    [GeneratedRegex(@"<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptElement();
}
