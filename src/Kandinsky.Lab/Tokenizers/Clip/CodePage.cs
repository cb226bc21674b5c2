namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// A single-byte code page as ftfy uses it to re-interpret mojibake. "Sloppy" pages decode undefined bytes as
/// the Latin-1 character and stand byte 0x1A for U+FFFD (a character lost earlier).
/// </summary>
internal sealed class CodePage
{
    const char Replacement = '\uFFFD';
    const byte Substitute = 0x1A;

    readonly char[] decode = new char[256];
    readonly Dictionary<char, byte> encode = new();

    public string Name { get; }
    public bool IsSloppy { get; }

    CodePage(string name, string upperHalf, bool sloppy)
    {
        Name = sloppy ? "sloppy-" + name : name;
        IsSloppy = sloppy;
        for (var b = 0; b < 256; b++)
            decode[b] = b < 0x80 ? (char)b : upperHalf[b - 0x80];
        if (sloppy) decode[Substitute] = Replacement;
        for (var b = 255; b >= 0; b--) encode[decode[b]] = (byte)b;
    }

    /// <summary>ftfy's order of attempts (chardata.CHARMAP_ENCODINGS).</summary>
    public static readonly CodePage[] Attempts = BuildAttempts();

    public static readonly CodePage SloppyWindows1252 = Attempts.Single(p => p.Name == "sloppy-windows-1252");

    /// <summary>The Latin-1-like pages whose byte meanings define the "UTF-8 clue" character classes.</summary>
    public static IEnumerable<CodePage> ClueSources => Attempts.Where(p => p.Name == "latin-1" || p.IsSloppy);

    static CodePage[] BuildAttempts()
    {
        var pages = ReferenceTables.CodePages.ToDictionary(p => p.Name, p => p.UpperHalf);
        CodePage Page(string name, bool sloppy) => new(name, pages[name], sloppy);
        return
        [
            Page("latin-1", false), Page("windows-1252", true), Page("windows-1251", true),
            Page("windows-1250", true), Page("windows-1253", true), Page("windows-1254", true),
            Page("windows-1257", true), Page("iso-8859-2", false), Page("mac-roman", false), Page("cp437", false),
        ];
    }

    public char Decode(byte b) => decode[b];

    /// <summary>ftfy's possible_encoding: every character is one this page can produce (0x1A only where it is itself).</summary>
    public bool CanEncode(string text)
    {
        foreach (var c in text)
            if (!encode.ContainsKey(c)) return false;
        return true;
    }

    public byte[] Encode(string text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++) bytes[i] = encode[text[i]];
        return bytes;
    }

    /// <summary>Strict Windows-1252: bytes the code page leaves undefined (they decode to themselves in C1).</summary>
    public bool IsUndefined(byte b) => b is >= 0x80 and <= 0x9F && decode[b] == (char)b;
}
