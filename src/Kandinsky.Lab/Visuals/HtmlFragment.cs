using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Visuals;

/// <summary>
/// A piece of HTML built by the lab's own views, shown as is; the plain-text form is <paramref name="text"/>. Never
/// wrap user text in it unencoded: views encode every prompt and label before it gets here.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class HtmlFragment(string html, string text) : IRichDisplay
{
    public string Html { get; } = html;

    public string ToHtml() => Html;

    public override string ToString() => text;
}
