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
        leafValues = ReachableLeafValues(units);
    }

    readonly int[] leafValues;

    /// <summary>The values of every leaf a key can reach, for checking them against the string area once at load time.</summary>
    public IReadOnlyList<int> LeafValues() => leafValues;

    /// <summary>
    /// Walks every unit a key can reach (the array may hold unused units with stray bits) and checks each leaf
    /// lies inside the array, so a corrupt file fails at load, never halfway through encoding a prompt.
    /// </summary>
    static int[] ReachableLeafValues(uint[] units)
    {
        var values = new List<int>();
        var visited = new bool[units.Length];
        var pending = new Stack<uint>();
        pending.Push(0);
        visited[0] = true;
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            var children = node ^ Offset(units[node]);
            if (node != 0 && HasLeaf(units[node]))
            {
                if (children >= units.Length)
                    throw new FormatException($"the leaf of unit {node} lies at unit {children}, outside the {units.Length} units");
                values.Add(Value(units[children]));
            }
            for (uint label = 0; label < 256; label++)
            {
                var child = children ^ label;
                if (child < units.Length && !visited[child] && Label(units[child]) == label)
                {
                    visited[child] = true;
                    pending.Push(child);
                }
            }
        }
        return [.. values];
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
            if (HasLeaf(unit)) best = (Value(units[nodePos]), i + 1); // in range: checked at load
        }
        return best;
    }
}
