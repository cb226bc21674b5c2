using System.Collections.Concurrent;
using System.Text;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>One BPE token of a pre-token: its string, id and the UTF-8 byte range of the pre-token it covers.</summary>
internal readonly record struct BpeToken(string Value, int Id, int ByteStart, int ByteEnd);

/// <summary>
/// CLIP's model: byte-level BPE. A pre-token's UTF-8 bytes become one symbol each (GPT-2's byte-to-character
/// table), the last symbol gets the end-of-word suffix <c>&lt;/w&gt;</c>, and adjacent pairs are merged by rank
/// (lowest first, every occurrence left to right) until no pair has a rank. Merging uses a priority queue keyed by
/// (rank, position), which gives the same result as the reference's repeated scans in O(n log n); results are cached
/// per pre-token.
/// </summary>
public sealed class ByteLevelBpe
{
    public const string EndOfWord = "</w>";
    const int CacheCapacity = 100_000;

    static readonly string[] ByteSymbols = BuildByteSymbols();

    readonly Dictionary<string, int> vocab;
    readonly Dictionary<(string, string), int> ranks;
    readonly int unknownId;
    readonly ConcurrentDictionary<string, BpeToken[]> cache = new(StringComparer.Ordinal);

    /// <param name="vocab">Token string → id.</param>
    /// <param name="merges">Pairs in rank order (rank = index).</param>
    /// <param name="unknownId">Id for a token the vocabulary lacks.</param>
    /// <param name="literalTokens">Tokens returned whole, without BPE (the special-token literals).</param>
    public ByteLevelBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string First, string Second)> merges, int unknownId,
        IEnumerable<string> literalTokens)
    {
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        ranks = new Dictionary<(string, string), int>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++) ranks.TryAdd(merges[rank], rank);
        this.unknownId = unknownId;
        foreach (var literal in literalTokens)
            cache[literal] = [new BpeToken(literal, Lookup(literal), 0, Encoding.UTF8.GetByteCount(literal))];
    }

    public int MergeCount => ranks.Count;

    /// <summary>GPT-2's reversible byte → printable character table: printable Latin-1 bytes map to themselves,
    /// the other 68 bytes to U+0100 onwards in byte order.</summary>
    static string[] BuildByteSymbols()
    {
        var symbols = new string[256];
        var next = 0x100;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            symbols[b] = ((char)(printable ? b : next++)).ToString();
        }
        return symbols;
    }

    int Lookup(string token) => vocab.TryGetValue(token, out var id) ? id : unknownId;

    internal BpeToken[] Encode(string preToken)
    {
        if (cache.TryGetValue(preToken, out var cached)) return cached;
        var result = Merge(Encoding.UTF8.GetBytes(preToken));
        if (cache.Count >= CacheCapacity) cache.Clear();
        cache[preToken] = result;
        return result;
    }

    sealed class Symbol
    {
        public required string Value;
        public required int ByteStart;
        public required int ByteEnd;
        public Symbol? Prev, Next;
        public bool Merged;
    }

    BpeToken[] Merge(byte[] bytes)
    {
        if (bytes.Length == 0) return [];
        var symbols = new Symbol[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            symbols[i] = new Symbol { Value = ByteSymbols[bytes[i]], ByteStart = i, ByteEnd = i + 1 };
            if (i > 0) (symbols[i].Prev, symbols[i - 1].Next) = (symbols[i - 1], symbols[i]);
        }
        symbols[^1].Value += EndOfWord;

        var queue = new PriorityQueue<(Symbol Left, Symbol Right), (int Rank, int Position)>();
        void Consider(Symbol left, Symbol right)
        {
            if (ranks.TryGetValue((left.Value, right.Value), out var rank)) queue.Enqueue((left, right), (rank, left.ByteStart));
        }
        for (var i = 0; i + 1 < symbols.Length; i++) Consider(symbols[i], symbols[i + 1]);

        while (queue.TryDequeue(out var pair, out var priority))
        {
            var (left, right) = pair;
            // Stale entries: a side was merged away since, or the pair's symbols changed.
            if (left.Merged || right.Merged || left.Next != right) continue;
            if (!ranks.TryGetValue((left.Value, right.Value), out var rank) || rank != priority.Rank) continue;
            left.Value += right.Value;
            left.ByteEnd = right.ByteEnd;
            left.Next = right.Next;
            if (right.Next is not null) right.Next.Prev = left;
            right.Merged = true;
            if (left.Prev is not null) Consider(left.Prev, left);
            if (left.Next is not null) Consider(left, left.Next);
        }

        var tokens = new List<BpeToken>();
        for (var s = symbols[0]; s is not null; s = s.Next) tokens.Add(new BpeToken(s.Value, Lookup(s.Value), s.ByteStart, s.ByteEnd));
        return tokens.ToArray();
    }
}
