using System.Reflection;
using Kandinsky.Lab.Formatting;

namespace Kandinsky.Lab.Notebooks;

/// <summary>
/// Turns any value into a MIME bundle the way .NET Interactive does for convention-based formatters: find an
/// attribute named <c>TypeFormatterSourceAttribute</c> on the type (or a base type or interface), create its
/// formatter source, and let each formatter write its MIME type. Values without one get <c>text/plain</c>.
/// </summary>
public static class DisplayFormatter
{
    const string ConventionAttributeName = "TypeFormatterSourceAttribute";

    public static IReadOnlyDictionary<string, string> ToMimeBundle(object? value)
    {
        var bundle = new Dictionary<string, string>(StringComparer.Ordinal);
        if (value == null)
        {
            bundle[MimeTypes.PlainText] = "null";
            return bundle;
        }
        foreach (var formatter in ConventionFormatters(value.GetType()))
        {
            if (bundle.ContainsKey(formatter.MimeType)) continue;
            using var writer = new StringWriter();
            if (formatter.Format(value, writer)) bundle[formatter.MimeType] = writer.ToString();
        }
        if (value is IRichDisplay rich)
            foreach (var (mime, data) in rich.ExtraMimeData()) bundle.TryAdd(mime, data);
        bundle.TryAdd(MimeTypes.PlainText, value.ToString() ?? "");
        return bundle;
    }

    sealed record ConventionFormatter(string MimeType, Func<object, TextWriter, bool> Format);

    static IEnumerable<ConventionFormatter> ConventionFormatters(Type type)
    {
        foreach (var sourceType in FormatterSourceTypes(type))
        {
            var source = Activator.CreateInstance(sourceType, nonPublic: true);
            var create = sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes);
            if (source == null || create?.Invoke(source, null) is not System.Collections.IEnumerable formatters) continue;
            foreach (var f in formatters)
            {
                if (f == null) continue;
                var ft = f.GetType();
                var mime = ft.GetProperty("MimeType")?.GetValue(f) as string;
                var format = ft.GetMethod("Format", [typeof(object), typeof(TextWriter)]);
                if (mime == null || format == null || format.ReturnType != typeof(bool)) continue;
                yield return new ConventionFormatter(mime, (o, w) => (bool)format.Invoke(f, [o, w])!);
            }
        }
    }

    static IEnumerable<Type> FormatterSourceTypes(Type type)
    {
        var candidates = new List<Type>();
        for (var t = type; t != null; t = t.BaseType) candidates.Add(t);
        candidates.AddRange(type.GetInterfaces());
        foreach (var t in candidates)
            foreach (var attr in t.GetCustomAttributes(inherit: false))
            {
                var at = attr.GetType();
                if (at.Name != ConventionAttributeName) continue;
                if (at.GetProperty("FormatterSourceType")?.GetValue(attr) is Type sourceType) yield return sourceType;
            }
    }
}
