using System.Text;
using System.Text.Json;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>
/// The CLIP BPE tokenizer as the Kandinsky 2.1 prior pipeline calls it (Hugging Face's slow <c>CLIPTokenizer</c> with
/// ftfy, <c>padding="max_length", max_length=77, truncation=True</c>): added tokens cut out first, then per chunk
/// <see cref="ClipNormalizer"/> → <see cref="ClipPreTokenizer"/> → <see cref="ByteLevelBpe"/>.
/// </summary>
public sealed class ClipTokenizer : ITextTokenizer
{
    /// <summary>The Hugging Face class limits CLIP's merges to the ones its 49,408-token vocabulary can use.</summary>
    const int MaxMerges = 49152 - 256 - 2;

    readonly AddedTokenSplitter splitter;
    readonly ByteLevelBpe bpe;

    public string Kind => "clip";
    public int MaxLength { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public int UnknownId { get; }
    public int VocabSize { get; }
    public IReadOnlyList<AddedToken> AddedTokens => splitter.Tokens;

    ClipTokenizer(ByteLevelBpe bpe, int vocabSize, IReadOnlyList<AddedToken> addedTokens, int bos, int eos, int pad, int unk, int maxLength)
    {
        this.bpe = bpe;
        splitter = new AddedTokenSplitter(addedTokens);
        VocabSize = vocabSize;
        (BosId, EosId, PadId, UnknownId, MaxLength) = (bos, eos, pad, unk, maxLength);
    }

    /// <summary>
    /// Loads <c>vocab.json</c> and <c>merges.txt</c> from a tokenizer folder, with the special tokens of its optional
    /// <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c>. Without those files the Kandinsky 2.1 prior's
    /// settings apply: <c>&lt;|startoftext|&gt;</c>, <c>&lt;|endoftext|&gt;</c> (end and unknown), pad <c>!</c>, 77.
    /// Ids always come from the files.
    /// </summary>
    public static ClipTokenizer FromFolder(string directory, TokenizerConfig? overrides = null)
    {
        var vocabPath = TokenizerFileException.RequireFile(directory, "vocab.json");
        var mergesPath = TokenizerFileException.RequireFile(directory, "merges.txt");
        var config = overrides ?? TokenizerConfig.Load(directory);
        var vocab = ReadVocab(vocabPath);
        var merges = ReadMerges(mergesPath);

        var decoderIds = config.AddedTokens.ToDictionary(t => t.Content, t => t.Id);
        int IdOf(string token, string role) => decoderIds.TryGetValue(token, out var id) ? id
            : vocab.TryGetValue(token, out id) ? id
            : throw new TokenizerFileException(vocabPath, $"the {role} token \"{token}\" is not in the vocabulary");

        var bosToken = config.BosToken ?? "<|startoftext|>";
        var eosToken = config.EosToken ?? "<|endoftext|>";
        var unkToken = config.UnkToken ?? "<|endoftext|>";
        var padToken = config.PadToken ?? "!";
        var special = new[] { (bosToken, "begin"), (eosToken, "end"), (unkToken, "unknown"), (padToken, "pad") };
        var added = config.AddedTokens.ToList();
        foreach (var (token, role) in special)
            if (added.All(t => t.Content != token)) added.Add(new AddedToken(token, IdOf(token, role)));

        var bpe = new ByteLevelBpe(vocab, merges, IdOf(unkToken, "unknown"), [bosToken, eosToken]);
        return new ClipTokenizer(bpe, vocab.Count, added, IdOf(bosToken, "begin"), IdOf(eosToken, "end"), IdOf(padToken, "pad"),
            IdOf(unkToken, "unknown"), config.ModelMaxLength ?? 77);
    }

    static Dictionary<string, int> ReadVocab(string path)
    {
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException)
        {
            throw new TokenizerFileException(path, $"expected a JSON object of token → integer id ({e.Message})", e);
        }
        if (vocab is null || vocab.Count == 0) throw new TokenizerFileException(path, "the vocabulary is empty");
        var negative = vocab.FirstOrDefault(kv => kv.Value < 0);
        if (negative.Key is not null) throw new TokenizerFileException(path, $"token \"{negative.Key}\" has negative id {negative.Value}");
        return vocab;
    }

    static List<(string, string)> ReadMerges(string path)
    {
        var merges = new List<(string, string)>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)) continue;
            if (line.Length == 0) continue;
            if (merges.Count == MaxMerges) break;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new TokenizerFileException(path, $"line {lineNumber}: expected two symbols separated by one space, got \"{line}\"");
            merges.Add((parts[0], parts[1]));
        }
        if (merges.Count == 0) throw new TokenizerFileException(path, "no merges found");
        return merges;
    }

    public Tokenization Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new TokenizationBuilder();
        foreach (var piece in splitter.Split(text))
        {
            if (piece.Token is { } added)
            {
                result.AddSpecial(added, piece);
                continue;
            }
            var chunk = ClipNormalizer.NormalizeWithOffsets(text, piece.Start, piece.Length);
            if (chunk.Text.Length == 0) continue;
            result.AddSegment(chunk.Text);
            foreach (var (start, length) in ClipPreTokenizer.Split(chunk.Text))
            {
                var preToken = chunk.Text.Substring(start, length);
                var byteToChar = ByteToCharMap(preToken);
                foreach (var token in bpe.Encode(preToken))
                {
                    var first = start + byteToChar[token.ByteStart];
                    var last = start + byteToChar[token.ByteEnd - 1];
                    result.Add(token.Value, token.Id, new TokenSpan(chunk.SourceStart[first], chunk.SourceEnd[last] - chunk.SourceStart[first]));
                }
            }
        }
        return result.Build(Kind, text, BosId, EosId, PadId, MaxLength);
    }

    /// <summary>For each UTF-8 byte of <paramref name="s"/>, the index of the UTF-16 unit that starts its character.</summary>
    internal static int[] ByteToCharMap(string s)
    {
        var map = new List<int>(s.Length * 2);
        for (var i = 0; i < s.Length;)
        {
            var cp = Text.CodePoints.At(s, i, out var width);
            var byteCount = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            for (var b = 0; b < byteCount; b++) map.Add(i);
            i += width;
        }
        return map.ToArray();
    }
}
