namespace Kandinsky.Lab.Formatting;

/// <summary>
/// Names the formatter source of a type by convention: .NET Interactive (and our headless runner) match
/// this attribute by its class name, so the lab needs no reference to any notebook host. The source type
/// has <c>IEnumerable&lt;object&gt; CreateTypeFormatters()</c>; each formatter has <c>string MimeType</c> and
/// <c>bool Format(object instance, TextWriter writer)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface, AllowMultiple = false, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>MIME types a host should prefer, richest first.</summary>
    public string[] PreferredMimeTypes { get; set; } = [MimeTypes.Html, MimeTypes.PlainText];
}
