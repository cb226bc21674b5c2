using System.Buffers.Binary;

namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>
/// Read-only darts-clone double-array trie, the structure SentencePiece stores in a precompiled charsmap. Each unit
/// is a little-endian uint32: bit 8 = "has a leaf child", bit 9 selects the offset scale, bits 10–31 the offset;
/// a leaf unit holds its value in bits 0–30; a label is compared against bits 0–7 plus bit 31 (so a leaf never
/// matches a label).
/// </summary>
internal sealed class DartsCloneTrie
{
    readonly uint[] units;

    public DartsCloneTrie(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0 || bytes.Length == 0)
            throw new FormatException($"double-array size {bytes.Length} is not a positive multiple of 4 bytes");
        units = new uint[bytes.Length / 4];
        for (var i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(i * 4, 4));
    }

    /// <summary>Every leaf value, for checking them against the string area once at load time.</summary>
    public IEnumerable<int> LeafValues()
    {
        for (var i = 0; i < units.Length; i++)
        {
            if (!HasLeaf(units[i])) continue;
            var leaf = (uint)i ^ Offset(units[i]);
            if (leaf < units.Length) yield return Value(units[leaf]);
        }
    }

    static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    static int Value(uint unit) => (int)(unit & 0x7FFFFFFF);
    static uint Label(uint unit) => unit & 0x800000FF;
    static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <summary>The value and length of the longest key that is a prefix of <paramref name="key"/>, or (-1, 0).</summary>
    public (int Value, int Length) LongestPrefix(ReadOnlySpan<byte> key)
    {
        var best = (-1, 0);
        uint nodePos = 0;
        var unit = units[0];
        nodePos ^= Offset(unit);
        for (var i = 0; i < key.Length; i++)
        {
            nodePos ^= key[i];
            if (nodePos >= units.Length) break;
            unit = units[nodePos];
            if (Label(unit) != key[i]) break;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if (nodePos >= units.Length) throw new FormatException($"leaf of unit {nodePos} lies outside the {units.Length} units");
                best = (Value(units[nodePos]), i + 1);
            }
        }
        return best;
    }
}
