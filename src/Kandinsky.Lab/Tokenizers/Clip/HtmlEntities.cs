using System.Text.RegularExpressions;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// ftfy's <c>unescape_html</c>: HTML5 named entities that end in ';' (plus all-caps forms of lower-case names) and
/// numeric references decoded the way Python's <c>html.unescape</c> decodes them.
/// </summary>
internal static class HtmlEntities
{
    static readonly Regex EntityRe = new("&#?[0-9A-Za-z]{1,24};", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    static readonly Lazy<Dictionary<string, string>> Named = new(() => ReferenceTables.HtmlEntities
        .Select(line => line.Split('\t')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal));

    static readonly Lazy<Dictionary<int, int>> InvalidCharRefs = new(() => ReferenceTables.InvalidCharRefs
        .Split(' ').Select(e => e.Split('=')).ToDictionary(p => ReferenceTables.Hex(p[0]), p => ReferenceTables.Hex(p[1])));

    static readonly Lazy<HashSet<int>> InvalidCodePoints = new(() => ReferenceTables.ParseSet(ReferenceTables.InvalidCodePoints));

    public static string Unescape(string text) => text.Contains('&') ? EntityRe.Replace(text, Replace) : text;

    static string Replace(Match match)
    {
        var entity = match.Value;
        if (Named.Value.TryGetValue(entity, out var named)) return named;
        if (!entity.StartsWith("&#", StringComparison.Ordinal)) return entity;
        var decoded = DecodeNumeric(entity.AsSpan(2, entity.Length - 3));
        // A reference that decodes to text with ';' (or does not decode completely) stays as it was.
        return decoded is null || decoded.Contains(';') ? entity : decoded;
    }

    static string? DecodeNumeric(ReadOnlySpan<char> body)
    {
        var hex = body[0] is 'x' or 'X';
        var digits = hex ? body[1..] : body;
        if (digits.IsEmpty) return null;
        long value = 0;
        foreach (var c in digits)
        {
            int d = c is >= '0' and <= '9' ? c - '0' : hex && c is >= 'a' and <= 'f' ? c - 'a' + 10
                : hex && c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return null;
            value = Math.Min(value * (hex ? 16 : 10) + d, 0x7FFFFFFF);
        }
        var cp = (int)value;
        if (InvalidCharRefs.Value.TryGetValue(cp, out var replacement)) return ((char)replacement).ToString();
        if (cp is >= 0xD800 and <= 0xDFFF or > 0x10FFFF) return "\uFFFD";
        if (InvalidCodePoints.Value.Contains(cp)) return "";
        return char.ConvertFromUtf32(cp);
    }
}
