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
    const int DefaultCacheCapacity = 100_000;

    static readonly string[] ByteSymbols = BuildByteSymbols();

    readonly Dictionary<string, int> vocab;
    readonly int unknownId;
    // The special-token literals live apart from the cache: clearing a full cache must not turn them back into BPE pieces.
    readonly Dictionary<string, BpeToken[]> literals = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, BpeToken[]> cache = new(StringComparer.Ordinal);
    readonly int cacheCapacity;
    int cacheSize;

    // Symbols are interned as ints: every vocabulary token, merge part and merge result, and the 512 byte symbols.
    readonly List<string> symbolText = [];
    readonly Dictionary<string, int> symbolIds = new(StringComparer.Ordinal);
    readonly int[] byteSymbol = new int[256], byteSymbolEndOfWord = new int[256];
    readonly Dictionary<long, (int Rank, int Merged)> merges;

    /// <param name="vocab">Token string → id.</param>
    /// <param name="merges">Pairs in rank order (rank = index).</param>
    /// <param name="unknownId">Id for a token the vocabulary lacks.</param>
    /// <param name="literalTokens">Tokens returned whole, without BPE (the special-token literals).</param>
    public ByteLevelBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string First, string Second)> merges, int unknownId,
        IEnumerable<string> literalTokens) : this(vocab, merges, unknownId, literalTokens, DefaultCacheCapacity) { }

    internal ByteLevelBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<(string First, string Second)> merges, int unknownId,
        IEnumerable<string> literalTokens, int cacheCapacity)
    {
        this.cacheCapacity = cacheCapacity;
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        this.unknownId = unknownId;
        for (var b = 0; b < 256; b++)
        {
            byteSymbol[b] = Intern(ByteSymbols[b]);
            byteSymbolEndOfWord[b] = Intern(ByteSymbols[b] + EndOfWord);
        }
        this.merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (first, second) = merges[rank];
            this.merges.TryAdd(Pair(Intern(first), Intern(second)), (rank, Intern(first + second)));
        }
        foreach (var literal in literalTokens)
            literals[literal] = [new BpeToken(literal, Lookup(literal), 0, Encoding.UTF8.GetByteCount(literal))];
    }

    int Intern(string symbol)
    {
        if (symbolIds.TryGetValue(symbol, out var id)) return id;
        symbolIds[symbol] = id = symbolText.Count;
        symbolText.Add(symbol);
        return id;
    }

    static long Pair(int first, int second) => ((long)first << 32) | (uint)second;

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
        if (literals.TryGetValue(preToken, out var cached) || cache.TryGetValue(preToken, out cached)) return cached;
        var result = Merge(Encoding.UTF8.GetBytes(preToken));
        // ConcurrentDictionary.Count takes every lock, so the size is tracked separately.
        if (Interlocked.Increment(ref cacheSize) > cacheCapacity)
        {
            cache.Clear();
            Interlocked.Exchange(ref cacheSize, 0);
        }
        cache[preToken] = result;
        return result;
    }

    BpeToken[] Merge(byte[] bytes)
    {
        var n = bytes.Length;
        if (n == 0) return [];
        // The word as a doubly linked list over positions; a merged-away position gets symbol -1.
        var symbol = new int[n];
        var next = new int[n];
        var prev = new int[n];
        for (var i = 0; i < n; i++)
        {
            symbol[i] = i == n - 1 ? byteSymbolEndOfWord[bytes[i]] : byteSymbol[bytes[i]];
            (prev[i], next[i]) = (i - 1, i + 1 < n ? i + 1 : -1);
        }

        var queue = new PriorityQueue<int, long>();
        void Consider(int left)
        {
            var right = next[left];
            if (right >= 0 && merges.TryGetValue(Pair(symbol[left], symbol[right]), out var m))
                queue.Enqueue(left, ((long)m.Rank << 32) | (uint)left);
        }
        for (var i = 0; i + 1 < n; i++) Consider(i);

        while (queue.TryDequeue(out var left, out var priority))
        {
            var right = next[left];
            // Stale entries: the left symbol was merged away or changed, or its right neighbour changed.
            if (symbol[left] < 0 || right < 0 || !merges.TryGetValue(Pair(symbol[left], symbol[right]), out var m) ||
                m.Rank != (int)(priority >> 32))
                continue;
            symbol[left] = m.Merged;
            symbol[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Consider(prev[left]);
            Consider(left);
        }

        var tokens = new List<BpeToken>();
        for (var i = 0; i >= 0; i = next[i])
        {
            var text = symbolText[symbol[i]];
            var end = next[i] >= 0 ? next[i] : n;
            tokens.Add(new BpeToken(text, Lookup(text), i, end));
        }
        return tokens.ToArray();
    }
}
