using System.Globalization;
using System.Text;

namespace Kandinsky.Lab.Tokenizers.Text;

/// <summary>Code-point level helpers: the reference works on code points, .NET strings on UTF-16 units.</summary>
internal static class CodePoints
{
    /// <summary>The code points of <paramref name="text"/>; a lone surrogate is kept as its own value.</summary>
    public static int[] Of(string text)
    {
        var result = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(char.ConvertToUtf32(c, text[i + 1]));
                i++;
            }
            else result.Add(c);
        }
        return result.ToArray();
    }

    /// <summary>The code point at <paramref name="index"/> and its UTF-16 width; a lone surrogate is returned as itself.</summary>
    public static int At(string s, int index, out int width)
    {
        if (char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(s[index], s[index + 1]);
        }
        width = 1;
        return s[index];
    }

    /// <summary>Appends a code point (a lone surrogate value is appended as that single unit).</summary>
    public static void Append(StringBuilder sb, int cp)
    {
        if (cp < 0x10000) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32(cp));
    }

    public static string ToText(ReadOnlySpan<int> cps)
    {
        var sb = new StringBuilder(cps.Length);
        foreach (var cp in cps) Append(sb, cp);
        return sb.ToString();
    }

    public static UnicodeCategory Category(int cp) =>
        cp is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : CharUnicodeInfo.GetUnicodeCategory(cp);

    public static bool IsLetter(int cp) => Category(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    public static bool IsNumber(int cp) => Category(cp) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Unicode White_Space (what Python's <c>\s</c> and <c>str.strip</c> treat as space, plus U+001C–001F).</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D or >= 0x1C and <= 0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };
}
