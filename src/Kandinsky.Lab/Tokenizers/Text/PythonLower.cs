using System.Globalization;
using System.Text;

namespace Kandinsky.Lab.Tokenizers.Text;

/// <summary>
/// Python's <c>str.lower()</c>: full case mapping from the reference's Unicode 14 tables (so <c>İ</c> becomes
/// <c>i̇</c>) and the Final_Sigma rule (<c>Σ</c> at the end of a word becomes <c>ς</c>).
/// </summary>
internal static class PythonLower
{
    const int CapitalSigma = 0x3A3, SmallSigma = 0x3C3, FinalSigma = 0x3C2;

    static readonly Lazy<Dictionary<int, int[]>> Map = new(() => ReferenceTables.ParseMap(ReferenceTables.LowerCase));

    public static string Lower(string text)
    {
        var ascii = true;
        foreach (var c in text)
            if (c >= 0x80) { ascii = false; break; }
        if (ascii) return text.ToLowerInvariant();

        var cps = CodePoints.Of(text);
        var sb = new StringBuilder(text.Length);
        var map = Map.Value;
        for (var i = 0; i < cps.Length; i++)
        {
            var cp = cps[i];
            if (cp == CapitalSigma) CodePoints.Append(sb, IsFinalSigma(cps, i) ? FinalSigma : SmallSigma);
            else if (map.TryGetValue(cp, out var lower)) foreach (var l in lower) CodePoints.Append(sb, l);
            else CodePoints.Append(sb, cp);
        }
        return sb.ToString();
    }

    /// <summary>Unicode's Final_Sigma: a cased letter before (skipping case-ignorables) and none after.</summary>
    static bool IsFinalSigma(int[] cps, int at)
    {
        var j = at - 1;
        while (j >= 0 && IsCaseIgnorable(cps[j])) j--;
        if (j < 0 || !IsCased(cps[j])) return false;
        j = at + 1;
        while (j < cps.Length && IsCaseIgnorable(cps[j])) j++;
        return j == cps.Length || !IsCased(cps[j]);
    }

    static bool IsCased(int cp)
    {
        var cat = CodePoints.Category(cp);
        if (cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter)
            return true;
        // Other_Lowercase / Other_Uppercase (ª, ʰ, Ⓐ, ⅰ …): characters with a case mapping of their own.
        return Map.Value.ContainsKey(cp) || (cp is > 0 and <= 0x10FFFF && cp is < 0xD800 or > 0xDFFF &&
            Rune.ToUpperInvariant(new Rune(cp)).Value != cp);
    }

    static bool IsCaseIgnorable(int cp) => cp is '\'' or '.' or ':' or '^' or '`' or 0xAD or 0xB7 or 0x2018 or 0x2019
        or 0x2024 or 0xFE52 or 0xFF07 or 0xFF0E or 0x5F4 or 0x387 or 0x2027 or 0xFE13 or 0xFE55 or 0xFF1A
        || CodePoints.Category(cp) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
