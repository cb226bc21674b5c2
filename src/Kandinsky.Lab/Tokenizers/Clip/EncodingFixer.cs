using System.Text;
using System.Text.RegularExpressions;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// ftfy 6.3's <c>fix_encoding</c> with its default configuration: find text that is UTF-8 decoded through a
/// single-byte code page and decode it again, with the <c>restore_byte_a0</c>, <c>replace_lossy_sequences</c>,
/// <c>decode_inconsistent_utf8</c> and <c>fix_c1_controls</c> steps. Byte-level patterns run on "byte strings"
/// (one char per byte, U+0000–U+00FF).
/// </summary>
internal static class EncodingFixer
{
    static readonly UTF8Encoding StrictUtf8 = new(false, true);

    // restore_byte_a0: "à" written as C3 + space before a word (except Portuguese "às", "àquele" …).
    static readonly Regex AGraveWord = new("\u00C3 (?! |quele|quela|quilo|s )", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    // UTF-8 sequences that would be valid if a space were byte A0.
    static readonly Regex AlteredUtf8 = new(
        "[\u00C2\u00C3\u00C5\u00CE\u00D0\u00D9] " +
        "|[\u00E2\u00E3] [\u0080-\u0084\u0086-\u009F\u00A1-\u00BF]" +
        "|[\u00E0-\u00E3][\u0080-\u0084\u0086-\u009F\u00A1-\u00BF] " +
        "|\u00F0 [\u0080-\u00BF][\u0080-\u00BF]" +
        "|\u00F0[\u0080-\u00BF] [\u0080-\u00BF]" +
        "|\u00F0[\u0080-\u00BF][\u0080-\u00BF] ", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    // UTF-8 / CESU-8 sequences with continuation bytes lost (byte 1A) or, once per sequence, read as '?'.
    static readonly Regex LossyUtf8 = new(
        "[\u00C2-\u00DF]\u001A" +
        "|[\u00C2-\u00C3][?]" +
        "|\u00ED[\u00A0-\u00AF][\u001A?]\u00ED[\u00B0-\u00BF][\u001A?\u0080-\u00BF]" +
        "|\u00ED[\u00A0-\u00AF][\u001A?\u0080-\u00BF]\u00ED[\u00B0-\u00BF][\u001A?]" +
        "|[\u00E0-\u00EF][\u001A?][\u001A\u0080-\u00BF]" +
        "|[\u00E0-\u00EF][\u001A\u0080-\u00BF][\u001A?]" +
        "|[\u00F0-\u00F4][\u001A?][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF]" +
        "|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A?][\u001A\u0080-\u00BF]" +
        "|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF][\u001A?]" +
        "|\u001A", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    static readonly Regex C1Control = new("[\u0080-\u009F]", RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Repeats single fixing steps until the text stops changing.</summary>
    public static string FixEncoding(string text)
    {
        while (true)
        {
            var fixedText = FixOneStep(text);
            if (fixedText == text) return text;
            text = fixedText;
        }
    }

    public static string FixC1Controls(string text) => text.AsSpan().IndexOfAnyInRange('\u0080', '\u009F') < 0 ? text :
        C1Control.Replace(text, m => CodePage.SloppyWindows1252.Decode((byte)m.Value[0]).ToString());

    static bool IsAscii(string text)
    {
        foreach (var c in text)
            if (c > 0x7F) return false;
        return true;
    }

    static string FixOneStep(string text)
    {
        if (text.Length == 0 || IsAscii(text) || !MojibakeDetector.IsBad(text)) return text;

        var latin1Possible = false;
        foreach (var page in CodePage.Attempts)
        {
            if (!page.CanEncode(text)) continue;
            if (page.Name == "latin-1") latin1Possible = true;
            var bytes = ByteString(page.Encode(text));
            if (page.Name != "mac-roman" && AlteredUtf8.IsMatch(bytes)) bytes = RestoreByteA0(bytes);
            if (page.IsSloppy) bytes = LossyUtf8.Replace(bytes, "\u00EF\u00BF\u00BD");
            if (TryDecodeUtf8(bytes, out var decoded)) return decoded;
        }

        if (MojibakeDetector.Utf8Detector.IsMatch(text))
        {
            var fixedText = MojibakeDetector.Utf8Detector.Replace(text, m =>
                m.Value.Length < text.Length && MojibakeDetector.IsBad(m.Value) ? FixEncoding(m.Value) : m.Value);
            if (fixedText != text) return fixedText;
        }

        // Latin-1 characters that are C1 controls were probably meant as Windows-1252 (strict: all bytes defined).
        if (latin1Possible)
        {
            var bytes = CodePage.Attempts[0].Encode(text);
            if (!bytes.Any(CodePage.SloppyWindows1252.IsUndefined))
            {
                var fixedText = new string(bytes.Select(CodePage.SloppyWindows1252.Decode).ToArray());
                if (fixedText != text) return fixedText;
            }
        }

        return C1Control.IsMatch(text) ? FixC1Controls(text) : text;
    }

    static string ByteString(byte[] bytes) => string.Create(bytes.Length, bytes, (span, b) =>
    {
        for (var i = 0; i < b.Length; i++) span[i] = (char)b[i];
    });

    static string RestoreByteA0(string bytes)
    {
        bytes = AGraveWord.Replace(bytes, "\u00C3\u00A0 ");
        return AlteredUtf8.Replace(bytes, m => m.Value.Replace(' ', '\u00A0'));
    }

    /// <summary>Strict UTF-8, or ftfy's "utf-8-variants" (CESU-8 surrogate pairs, Java's C0 80) when ED or C0 occur.</summary>
    static bool TryDecodeUtf8(string byteString, out string decoded)
    {
        var bytes = new List<byte>(byteString.Length);
        var variants = byteString.Contains('\u00ED') || byteString.Contains('\u00C0');
        for (var i = 0; i < byteString.Length; i++)
        {
            if (variants && TryCesuPair(byteString, i, out var cp))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(cp)));
                i += 5;
            }
            else if (variants && byteString[i] == '\u00C0' && i + 1 < byteString.Length && byteString[i + 1] == '\u0080')
            {
                bytes.Add(0);
                i++;
            }
            else bytes.Add((byte)byteString[i]);
        }
        try
        {
            decoded = StrictUtf8.GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            decoded = "";
            return false;
        }
    }

    static bool TryCesuPair(string s, int i, out int cp)
    {
        cp = 0;
        if (i + 6 > s.Length || s[i] != '\u00ED' || s[i + 3] != '\u00ED') return false;
        if (s[i + 1] is < '\u00A0' or > '\u00AF' || s[i + 4] is < '\u00B0' or > '\u00BF') return false;
        if (s[i + 2] is < '\u0080' or > '\u00BF' || s[i + 5] is < '\u0080' or > '\u00BF') return false;
        var high = 0xD000 | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
        var low = 0xD000 | ((s[i + 4] & 0x3F) << 6) | (s[i + 5] & 0x3F);
        cp = char.ConvertToUtf32((char)high, (char)low);
        return true;
    }
}
