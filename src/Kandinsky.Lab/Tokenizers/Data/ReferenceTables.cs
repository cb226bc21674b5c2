using System.Globalization;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>Parsed forms of the generated reference tables (see generate_tables.py), built once on first use.</summary>
internal static partial class ReferenceTables
{
    /// <summary>Parses "A=B.C D=E" into code point → replacement code points.</summary>
    public static Dictionary<int, int[]> ParseMap(string table)
    {
        var map = new Dictionary<int, int[]>();
        foreach (var entry in table.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.IndexOf('=');
            map[Hex(entry.AsSpan(0, eq))] = entry[(eq + 1)..].Split('.').Select(p => Hex(p)).ToArray();
        }
        return map;
    }

    public static HashSet<int> ParseSet(string table) =>
        table.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => Hex(p)).ToHashSet();

    public static int Hex(ReadOnlySpan<char> s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
