using System.Text;

namespace Kandinsky.Lab.Tokenizers.Text;

/// <summary>
/// Unicode NFC with the reference's Unicode 14 tables. .NET's <c>string.Normalize</c> is a no-op under
/// InvariantGlobalization (which this repository uses) and depends on the runtime's Unicode version.
/// </summary>
internal static class Nfc
{
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    const int NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Lazy<Tables> Data = new(Build);

    sealed record Tables(Dictionary<int, int[]> Decompositions, (int First, int Last, byte Class)[] Classes,
        Dictionary<long, int> Compositions, HashSet<int> Unstable);

    static Tables Build()
    {
        var decompositions = ReferenceTables.ParseMap(ReferenceTables.CanonicalDecompositions);
        var classes = ReferenceTables.CombiningClasses.Split(' ').Select(entry =>
        {
            var dash = entry.IndexOf('-');
            var eq = entry.IndexOf('=');
            return (ReferenceTables.Hex(entry.AsSpan(0, dash)), ReferenceTables.Hex(entry.AsSpan(dash + 1, eq - dash - 1)),
                byte.Parse(entry.AsSpan(eq + 1)));
        }).ToArray();
        var compositions = new Dictionary<long, int>();
        foreach (var composite in ReferenceTables.ParseSet(ReferenceTables.PrimaryComposites))
        {
            var parts = decompositions[composite];
            compositions[Key(parts[0], parts[1])] = composite;
        }
        // Code points NFC may change or combine with what precedes them: marks, second parts of compositions,
        // and decomposable characters that do not recompose (singletons, exclusions).
        var unstable = new HashSet<int>();
        foreach (var (first, last, _) in classes)
            for (var cp = first; cp <= last; cp++) unstable.Add(cp);
        foreach (var (cp, parts) in decompositions)
        {
            var recomposes = parts.Length == 2 && compositions.TryGetValue(Key(parts[0], parts[1]), out var c) && c == cp;
            if (!recomposes) unstable.Add(cp);
            if (parts.Length == 2) unstable.Add(parts[1]);
        }
        for (var cp = VBase; cp < VBase + VCount; cp++) unstable.Add(cp);
        for (var cp = TBase + 1; cp < TBase + TCount; cp++) unstable.Add(cp);
        return new Tables(decompositions, classes, compositions, unstable);
    }

    static long Key(int a, int b) => ((long)a << 21) | (uint)b;

    public static int CombiningClass(int cp)
    {
        var classes = Data.Value.Classes;
        int lo = 0, hi = classes.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (cp < classes[mid].First) hi = mid - 1;
            else if (cp > classes[mid].Last) lo = mid + 1;
            else return classes[mid].Class;
        }
        return 0;
    }

    /// <summary>True when the text is certainly already NFC: no code point that NFC could change or combine.</summary>
    static bool IsTriviallyNfc(string text)
    {
        HashSet<int>? unstable = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] < 0x300) continue;
            unstable ??= Data.Value.Unstable;
            if (unstable.Contains(CodePoints.At(text, i, out var width))) return false;
            i += width - 1;
        }
        return true;
    }

    public static string Normalize(string text)
    {
        if (IsTriviallyNfc(text)) return text;
        var decomposed = new List<int>(text.Length + 8);
        foreach (var cp in CodePoints.Of(text)) Decompose(cp, decomposed);
        SortCombiningMarks(decomposed);
        Compose(decomposed);
        var sb = new StringBuilder(decomposed.Count);
        foreach (var cp in decomposed) CodePoints.Append(sb, cp);
        return sb.ToString();
    }

    static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (Data.Value.Decompositions.TryGetValue(cp, out var parts))
            foreach (var part in parts) Decompose(part, output);
        else output.Add(cp);
    }

    /// <summary>Canonical ordering: a stable sort of each run of non-starters by combining class.</summary>
    static void SortCombiningMarks(List<int> cps)
    {
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = CombiningClass(cps[i]);
            if (cc == 0) continue;
            var j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > cc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    static void Compose(List<int> cps)
    {
        if (cps.Count == 0) return;
        var starter = -1;
        var lastClass = 0;
        var write = 0;
        for (var read = 0; read < cps.Count; read++)
        {
            var cp = cps[read];
            var cc = CombiningClass(cp);
            if (starter >= 0 && (lastClass < cc || (lastClass == 0 && write - 1 == starter)) &&
                TryCompose(cps[starter], cp, out var composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (cc == 0) starter = write;
            lastClass = cc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static bool TryCompose(int a, int b, out int composite)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return Data.Value.Compositions.TryGetValue(Key(a, b), out composite);
    }
}
