using System.Text;
using System.Text.RegularExpressions;
using Kandinsky.Lab.Tokenizers.Text;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// ftfy 6.3.1 <c>fix_text</c> with its default configuration, as the CLIP tokenizer calls it. The text is fixed in
/// segments that end after each '\n'; each segment is fixed repeatedly until it stops changing. HTML entities are
/// decoded until the first segment that contains '&lt;' (that one and all later segments keep their entities).
/// </summary>
public static class FtfyFixer
{
    const int MaxDecodeLength = 1_000_000;

    static readonly Regex AnsiEscape = new("\u001B\\[((?:\\d|;)*)([a-zA-Z])", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    static readonly Dictionary<int, string> Ligatures = new()
    {
        [0x132] = "IJ", [0x133] = "ij", [0x149] = "\u02BCn", [0x1F1] = "DZ", [0x1F2] = "Dz", [0x1F3] = "dz",
        [0x1C4] = "D\u017D", [0x1C5] = "D\u017E", [0x1C6] = "d\u017E", [0x1C7] = "LJ", [0x1C8] = "Lj", [0x1C9] = "lj",
        [0x1CA] = "NJ", [0x1CB] = "Nj", [0x1CC] = "nj", [0xFB00] = "ff", [0xFB01] = "fi", [0xFB02] = "fl",
        [0xFB03] = "ffi", [0xFB04] = "ffl", [0xFB05] = "\u017Ft", [0xFB06] = "st",
    };

    static readonly Lazy<Dictionary<int, string>> WidthMap = new(() => ReferenceTables.ParseMap(ReferenceTables.WidthMap)
        .ToDictionary(kv => kv.Key, kv => CodePoints.ToText(kv.Value)));

    public static string FixText(string text)
    {
        var output = new StringBuilder(text.Length);
        var unescapeHtml = true;
        var pos = 0;
        while (pos < text.Length)
        {
            var end = text.IndexOf('\n', pos) + 1;
            if (end == 0) end = text.Length;
            if (end - pos > MaxDecodeLength)
            {
                end = pos + MaxDecodeLength;
                if (char.IsLowSurrogate(text[end])) end--;
            }
            var segment = text[pos..end];
            if (unescapeHtml && segment.Contains('<')) unescapeHtml = false;
            output.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }
        return output.ToString();
    }

    static string FixSegment(string text, bool unescapeHtml)
    {
        while (true)
        {
            var original = text;
            if (unescapeHtml) text = HtmlEntities.Unescape(text);
            text = EncodingFixer.FixEncoding(text);
            text = EncodingFixer.FixC1Controls(text);
            text = Translate(text, Ligatures);
            text = Translate(text, WidthMap.Value);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = text.Contains('\u001B') ? AnsiEscape.Replace(text, "") : text;
            text = RemoveControlChars(text);
            text = Nfc.Normalize(text);
            if (text == original) return text;
        }
    }

    static string Translate(string text, Dictionary<int, string> map)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (map.TryGetValue(text[i], out var replacement))
            {
                sb ??= new StringBuilder(text, 0, i, text.Length + 8);
                sb.Append(replacement);
            }
            else sb?.Append(text[i]);
        }
        return sb?.ToString() ?? text;
    }

    static string UncurlQuotes(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var straight = c is '\u02BC' or (>= '\u2018' and <= '\u201B') ? '\''
                : c is >= '\u201C' and <= '\u201F' ? '"' : c;
            if (straight != c) sb ??= new StringBuilder(text, 0, i, text.Length);
            sb?.Append(straight);
        }
        return sb?.ToString() ?? text;
    }

    static string FixLineBreaks(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n')
        .Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>Lone surrogates become U+FFFD (paired ones are already one character here).</summary>
    static string FixSurrogates(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                sb ??= new StringBuilder(text, 0, i, text.Length);
                sb.Append('\uFFFD');
            }
            else sb?.Append(c);
        }
        return sb?.ToString() ?? text;
    }

    static bool IsRemovedControl(char c) => c is <= '\u0008' or '\u000B' or (>= '\u000E' and <= '\u001F') or '\u007F'
        or (>= '\u206A' and <= '\u206F') or '\uFEFF' or (>= '\uFFF9' and <= '\uFFFC');

    static string RemoveControlChars(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (IsRemovedControl(text[i])) sb ??= new StringBuilder(text, 0, i, text.Length);
            else sb?.Append(text[i]);
        }
        return sb?.ToString() ?? text;
    }
}
