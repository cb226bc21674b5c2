using System.Text;
using System.Text.RegularExpressions;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// ftfy 6.3's mojibake heuristics: <see cref="IsBad"/> (badness.py: sequences of the ~400 characters that UTF-8
/// mojibake is made of, in contexts real text rarely has them) and <see cref="Utf8Detector"/> (chardata.py:
/// runs that look like UTF-8 read through a Latin-1-like code page).
/// </summary>
internal static class MojibakeDetector
{
    static string Cls(params object[] items)
    {
        var sb = new StringBuilder();
        foreach (var item in items)
        {
            switch (item)
            {
                case int cp: sb.Append($"\\u{cp:X4}"); break;
                case (int first, int last): sb.Append($"\\u{first:X4}-\\u{last:X4}"); break;
                case string s: sb.Append(s); break;
                default: throw new ArgumentException($"unexpected class item {item}");
            }
        }
        return sb.ToString();
    }

    // Character categories of badness.py (code points written out; ranges as tuples).
    static readonly string Common = Cls(0xA0, 0xAD, 0xB7, 0xB4, 0x2013, 0x2014, 0x2015, 0x2026, 0x2019);
    static readonly string C1 = Cls((0x80, 0x9F));
    static readonly string Bad = Cls(0xA6, 0xA4, 0xA8, 0xAC, 0xAF, 0xB8, 0x192, 0x2C6, 0x2C7, 0x2D8, 0x2DB, 0x2DC,
        0x2020, 0x2021, 0x2030, 0x2310, 0x25CA, 0xFFFD, 0xAA, 0xBA);
    static readonly string Law = Cls(0xB6, 0xA7);
    static readonly string Currency = Cls(0xA2, 0xA3, 0xA5, 0x20A7, 0x20AC);
    static readonly string StartPunct = Cls(0xA1, 0xAB, 0xBF, 0xA9, 0x384, 0x385, 0x2018, 0x201A, 0x201C, 0x201E,
        0x2022, 0x2039, 0xF8FF);
    static readonly string EndPunct = Cls(0xAE, 0xBB, 0x2DD, 0x201D, 0x203A, 0x2122);
    static readonly string Numeric = Cls(0xB2, 0xB3, 0xB9, 0xB1, 0xBC, 0xBD, 0xBE, 0xD7, 0xB5, 0xF7, 0x2044, 0x2202,
        0x2206, 0x220F, 0x2211, 0x221A, 0x221E, 0x2229, 0x222B, 0x2248, 0x2260, 0x2261, 0x2264, 0x2265, 0x2116);
    static readonly string Kaomoji = Cls((0xD2, 0xD6), (0xD9, 0xDC), (0xF2, 0xF6), (0xF8, 0xFC), 0x150, 0x14C, 0x16A,
        0x172, 0xB0);
    static readonly string UpperAccented = Cls((0xC0, 0xD1), 0xD8, 0xDC, 0xDD, 0x102, 0x100, 0x104, 0x106, 0x10C,
        0x10E, 0x110, 0x118, 0x11A, 0x112, 0x116, 0x11E, 0x122, 0x130, 0x12A, 0x136, 0x139, 0x13D, 0x141, 0x13B, 0x143,
        0x147, 0x145, 0x152, 0x158, 0x15A, 0x15E, 0x160, 0x162, 0x164, 0x16E, 0x170, 0x178, 0x179, 0x17B, 0x17D, 0x490);
    static readonly string LowerAccented = Cls(0xDF, (0xE0, 0xF1), 0x103, 0x105, 0x101, 0x107, 0x10D, 0x10F, 0x111,
        0x119, 0x11B, 0x113, 0x117, 0x11F, 0x123, 0x12F, 0x12B, 0x137, 0x13A, 0x13E, 0x142, 0x13C, 0x153, 0x155, 0x15B,
        0x15F, 0x161, 0x165, 0xFC, 0x17A, 0x17C, 0x17E, 0x491, 0xFB01, 0xFB02);
    static readonly string UpperCommon = Cls(0xDE, (0x391, 0x3A9), 0x386, 0x388, 0x389, 0x38A, 0x38C, 0x38E, 0x38F,
        0x3AA, 0x3AB, (0x401, 0x42F));
    static readonly string LowerCommon = Cls((0x3B1, 0x3C9), 0x3AC, 0x3AD, 0x3AE, 0x3AF, 0x3B0, (0x430, 0x45F));
    static readonly string Box = Cls(0x2502, 0x250C, 0x2510, 0x2518, 0x251C, 0x2524, 0x252C, 0x253C, (0x2550, 0x256C),
        0x2580, 0x2584, 0x2588, 0x258C, 0x2590, 0x2591, 0x2592, 0x2593);

    static readonly Regex BadnessRe = new(string.Join("|",
    [
        $"[{C1}]",
        $"[{Bad}{LowerAccented}{UpperAccented}{Box}{StartPunct}{EndPunct}{Currency}{Numeric}{Law}][{Bad}]",
        $"[a-zA-Z][{LowerCommon}{UpperCommon}][{Bad}]",
        $"[{Bad}][{LowerAccented}{UpperAccented}{Box}{StartPunct}{EndPunct}{Currency}{Numeric}{Law}]",
        $"[{LowerAccented}{LowerCommon}{Box}{EndPunct}{Currency}{Numeric}][{UpperAccented}]",
        $"[{Box}{EndPunct}{Currency}{Numeric}][{LowerAccented}]",
        $"[{LowerAccented}{Box}{EndPunct}][{Currency}]",
        $"\\s[{UpperAccented}][{Currency}]",
        $"[{UpperAccented}{Box}][{Numeric}{Law}]",
        $"[{LowerAccented}{UpperAccented}{Box}{Currency}{EndPunct}][{StartPunct}][{Numeric}]",
        $"[{LowerAccented}{UpperAccented}{Currency}{Numeric}{Box}{Law}][{EndPunct}][{StartPunct}]",
        $"[{Currency}{Numeric}{Box}][{StartPunct}]",
        $"[a-z][{UpperAccented}][{StartPunct}{Currency}]",
        $"[{Box}][{Kaomoji}]",
        $"[{LowerAccented}{UpperAccented}{Currency}{Numeric}{StartPunct}{EndPunct}{Law}][{Box}]",
        $"[{Box}][{EndPunct}]",
        $"[{LowerAccented}{UpperAccented}][{StartPunct}{EndPunct}]\\w",
        // the ligature œ when not followed by an unaccented Latin letter
        "[\u0152\u0153][^A-Za-z]",
        // degree signs after capital letters
        $"[{UpperAccented}]\u00B0",
        // common Windows-1252 two-character mojibake
        $"[\u00C2\u00C3\u00CE\u00D0][{Cls(0x20AC, 0x153, 0x160, 0x161, 0xA2, 0xA3, 0x178, 0x17E, 0xA0, 0xAD, 0xAE, 0xA9, 0xB0, 0xB7, 0xBB)}{StartPunct}{EndPunct}{Cls(0x2013, 0x2014, 0xB4)}]",
        "\u00D7[\u00B2\u00B3]",
        // Windows-1252 mojibake of Arabic words: four characters
        $"[\u00D8\u00D9][{Common}{Currency}{Bad}{Numeric}{StartPunct}{Cls(0x178, 0x160, 0xAE, 0xB0, 0xB5, 0xBB)}][\u00D8\u00D9][{Common}{Currency}{Bad}{Numeric}{StartPunct}{Cls(0x178, 0x160, 0xAE, 0xB0, 0xB5, 0xBB)}]",
        // three-byte South Asian letters
        $"\u00E0[{Cls(0xB2, 0xB5, 0xB9, 0xBC, 0xBD, 0xBE)}]",
        // MacRoman
        $"\u221A[{Cls(0xB1, 0x2202, 0x2020, 0x2260, 0xAE, 0x2122, 0xB4, 0x2264, 0x2265, 0xA5, 0xB5, 0xF8)}]",
        "\u2248[\u00B0\u00A2]",
        $"\u201A\u00C4[{Cls(0xEC, 0xEE, 0xEF, 0xF2, 0xF4, 0xFA, 0xF9, 0xFB, 0x2020, 0xB0, 0xA2, 0x3C0)}]",
        "\u201A[\u00E2\u00F3][\u00E0\u00E4\u00B0\u00EA]",
        // Windows-1251
        "\u0432\u0402",
        $"[\u0412\u0413\u0420\u0421][{C1}{Bad}{StartPunct}{EndPunct}{Currency}\u00B0\u00B5][\u0412\u0413\u0420\u0421]",
        "\u0413\u045E\u0412\u0402\u0412.[A-Za-z ]",
        // Windows-1252 encodings of à and á, and of U+00A0 itself
        "\u00C3[\u00A0\u00A1]",
        "[a-z]\\s?[\u00C3\u00C2] ",
        "^[\u00C3\u00C2] ",
        $"[a-z.,?!{EndPunct}]\u00C2[ {StartPunct}{EndPunct}]",
        // Windows-1253
        "\u03B2\u20AC[\u2122\u00A0\u0386\u00AD\u00AE\u00B0]",
        $"[\u0392\u0393\u039E\u039F][{C1}{Bad}{StartPunct}{EndPunct}{Currency}\u00B0][\u0392\u0393\u039E\u039F]",
        // Windows-1257
        "\u0101\u20AC",
    ]), RegexOptions.CultureInvariant | RegexOptions.Compiled);

    public static bool IsBad(string text) => BadnessRe.IsMatch(text);

    /// <summary>Runs of characters that read like UTF-8 sequences through one of the Latin-1-like code pages.</summary>
    public static readonly Regex Utf8Detector = BuildUtf8Detector();

    static Regex BuildUtf8Detector()
    {
        string Decoded(params int[] bytes) => string.Concat(CodePage.ClueSources
            .SelectMany(p => bytes.Select(b => p.Decode((byte)b))).Distinct().Order().Select(c => Cls((int)c)));
        int[] Range(int first, int last) => Enumerable.Range(first, last - first + 1).ToArray();

        var firstOf2 = Decoded(Range(0xC2, 0xDF));
        var firstOf3 = Decoded(Range(0xE0, 0xEF));
        var firstOf4 = Decoded(0xF0, 0xF3);
        var continuationAll = CodePage.ClueSources.SelectMany(p => Range(0x80, 0xBF).Select(b => p.Decode((byte)b)))
            .Distinct().ToList();
        // Characters that can stand for themselves next to mojibake: spaces, dashes, quotes, bullet, ellipsis.
        int[] loose = [0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2022, 0x2026];
        var continuation = Cls((0x80, 0xBF), 0x20) + string.Concat(continuationAll.Where(c => c > 0xFF).Order().Select(c => Cls((int)c)));
        var strict = Cls((0x80, 0xBF)) + string.Concat(continuationAll.Where(c => c > 0xFF && !loose.Contains(c)).Order()
            .Select(c => Cls((int)c)));
        return new Regex(
            $"(?<![{strict}])([{firstOf2}][{continuation}]|[{firstOf3}][{continuation}]{{2}}|[{firstOf4}][{continuation}]{{3}})+",
            RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }
}
