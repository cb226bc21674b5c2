namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>
/// A byte trie over vocabulary pieces for the Viterbi search: nodes in flat arrays, each node's children sorted by
/// byte (binary search). Built from the keys sorted in byte order.
/// </summary>
internal sealed class PieceTrie
{
    // Filled while building, then frozen into arrays for lookups.
    List<int> value = [];
    List<int> childStart = [];
    List<int> childCount = [];
    List<byte> childLabel = [];
    List<int> childNode = [];
    readonly int[] values, starts, counts, nodes;
    readonly byte[] labels;

    public PieceTrie(IEnumerable<(byte[] Key, int Value)> entries)
    {
        var sorted = entries.Where(e => e.Key.Length > 0)
            .OrderBy(e => e.Key, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToArray();
        Build(sorted, 0, sorted.Length, 0);
        (values, starts, counts, labels, nodes) =
            (value.ToArray(), childStart.ToArray(), childCount.ToArray(), childLabel.ToArray(), childNode.ToArray());
        (value, childStart, childCount, childLabel, childNode) = ([], [], [], [], []);
    }

    int Build((byte[] Key, int Value)[] keys, int lo, int hi, int depth)
    {
        var node = value.Count;
        value.Add(-1);
        childStart.Add(0);
        childCount.Add(0);
        if (lo < hi && keys[lo].Key.Length == depth) value[node] = keys[lo++].Value;
        // Duplicate keys: the first given wins (the sort is stable).
        while (lo < hi && keys[lo].Key.Length == depth) lo++;
        var groups = new List<(byte Label, int Lo, int Hi)>();
        for (var i = lo; i < hi;)
        {
            var label = keys[i].Key[depth];
            var j = i;
            while (j < hi && keys[j].Key[depth] == label) j++;
            groups.Add((label, i, j));
            i = j;
        }
        var first = childLabel.Count;
        childStart[node] = first;
        childCount[node] = groups.Count;
        foreach (var g in groups)
        {
            childLabel.Add(g.Label);
            childNode.Add(-1);
        }
        for (var g = 0; g < groups.Count; g++) childNode[first + g] = Build(keys, groups[g].Lo, groups[g].Hi, depth + 1);
        return node;
    }

    public const int Root = 0;

    /// <summary>The value stored at <paramref name="node"/>, or -1.</summary>
    public int ValueOf(int node) => values[node];

    /// <summary>The value and length of the longest key that is a prefix of <paramref name="text"/>, or (-1, 0).</summary>
    public (int Value, int Length) LongestPrefix(ReadOnlySpan<byte> text)
    {
        var best = (-1, 0);
        var node = Root;
        for (var i = 0; i < text.Length; i++)
        {
            node = Child(node, text[i]);
            if (node < 0) break;
            if (values[node] >= 0) best = (values[node], i + 1);
        }
        return best;
    }

    /// <summary>The child of <paramref name="node"/> along <paramref name="label"/>, or -1.</summary>
    public int Child(int node, byte label)
    {
        int lo = starts[node], hi = lo + counts[node] - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var l = labels[mid];
            if (l == label) return nodes[mid];
            if (l < label) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
}
