using System.Text;
using Kandinsky.Lab.Tokenizers.Clip;

namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>
/// The XLM-RoBERTa tokenizer as the Kandinsky 2.1 decoder pipeline calls it (Hugging Face's <c>XLMRobertaTokenizer</c>
/// on SentencePiece, <c>padding="max_length", truncation=True, max_length=77</c>): added tokens cut out first
/// (<c>&lt;mask&gt;</c> takes the whitespace before it), then per chunk <see cref="SentencePieceNormalizer"/> →
/// <see cref="UnigramModel"/>, then fairseq's ids: <c>&lt;s&gt;</c>=0, <c>&lt;pad&gt;</c>=1, <c>&lt;/s&gt;</c>=2,
/// <c>&lt;unk&gt;</c>=3, every piece its SentencePiece id + 1, <c>&lt;mask&gt;</c> = piece count + 1.
/// Everything else — pieces, scores, types, the character map and the normalizer flags — comes from the model file.
/// </summary>
public sealed class XlmRobertaTokenizer : ITextTokenizer
{
    /// <summary>fairseq's dictionary puts its four specials first and shifts SentencePiece ids by one.</summary>
    const int FairseqOffset = 1;
    const int FairseqBos = 0, FairseqPad = 1, FairseqEos = 2, FairseqUnk = 3;

    readonly SentencePieceModel model;
    readonly SentencePieceNormalizer normalizer;
    readonly UnigramModel unigram;
    readonly AddedTokenSplitter splitter;

    public string Kind => "xlmr";
    public int MaxLength { get; }
    public int BosId => FairseqBos;
    public int EosId => FairseqEos;
    public int PadId => FairseqPad;
    public int UnknownId => FairseqUnk;
    public int MaskId { get; }
    public int VocabSize => model.Pieces.Count + FairseqOffset + 1;
    public SentencePieceModel Model => model;
    public IReadOnlyList<AddedToken> AddedTokens => splitter.Tokens;

    /// <summary>The Kandinsky decoder pipelines call the tokenizer with <c>max_length=77</c> whatever the config says.</summary>
    public const int PipelineMaxLength = 77;

    XlmRobertaTokenizer(SentencePieceModel model, TokenizerConfig config, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "must leave room for <s> and </s>");
        this.model = model;
        if (model.ModelType != SentencePieceModelType.Unigram)
            throw new NotSupportedException($"SentencePiece model type {model.ModelType} is not supported (XLM-R uses Unigram)");
        if (model.ByteFallback)
            throw new NotSupportedException("byte_fallback models are not supported (XLM-R has none); unknown characters would be wrong");
        normalizer = new SentencePieceNormalizer(model);
        unigram = new UnigramModel(model);
        MaxLength = maxLength;

        var declared = config.AddedTokens.ToDictionary(t => t.Content);
        AddedToken Special(string? configured, string fallback, int id, bool stripLeft = false)
        {
            var content = configured ?? fallback;
            return declared.TryGetValue(content, out var token) ? token : new AddedToken(content, id, stripLeft);
        }
        var mask = Special(config.MaskToken, "<mask>", model.Pieces.Count + FairseqOffset, stripLeft: true);
        MaskId = mask.Id;
        var added = new List<AddedToken>
        {
            Special(config.BosToken, "<s>", FairseqBos), Special(config.PadToken, "<pad>", FairseqPad),
            Special(config.EosToken, "</s>", FairseqEos), Special(config.UnkToken, "<unk>", FairseqUnk), mask,
        };
        added.AddRange(config.AddedTokens.Where(t => added.All(a => a.Content != t.Content)));
        splitter = new AddedTokenSplitter(added);
    }

    /// <summary>
    /// Loads <c>sentencepiece.bpe.model</c> (required) and the optional Hugging Face config files of a folder (special
    /// token names and ids). <paramref name="maxLength"/> is the pipeline's (77), not the config's model_max_length.
    /// </summary>
    public static XlmRobertaTokenizer FromFolder(string directory, int maxLength = PipelineMaxLength) =>
        FromModelFile(TokenizerFileException.RequireFile(directory, "sentencepiece.bpe.model"), TokenizerConfig.Load(directory), maxLength);

    /// <summary>Loads a SentencePiece model file directly, with the XLM-R special tokens (or those of <paramref name="config"/>).</summary>
    public static XlmRobertaTokenizer FromModelFile(string modelPath, TokenizerConfig? config = null, int maxLength = PipelineMaxLength)
    {
        var model = SentencePieceModel.Load(modelPath);
        try
        {
            return new XlmRobertaTokenizer(model, config ?? new TokenizerConfig(), maxLength);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            throw new TokenizerFileException(modelPath, e.Message, e);
        }
    }

    /// <summary>The SentencePiece-normalized form of a chunk (with <c>▁</c>), as in the golden files' "normalized".</summary>
    public string Normalize(string chunk) => normalizer.Normalize(Encoding.UTF8.GetBytes(chunk)).Text;

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
            var chunk = text.Substring(piece.Start, piece.Length);
            var utf8 = Encoding.UTF8.GetBytes(chunk);
            var normalized = normalizer.Normalize(utf8);
            if (normalized.Utf8.Length == 0) continue;
            result.AddSegment(normalized.Text);
            var byteToChar = ClipTokenizer.ByteToCharMap(chunk);
            foreach (var p in unigram.Encode(normalized.Utf8))
            {
                result.Add(Encoding.UTF8.GetString(normalized.Utf8, p.ByteStart, p.ByteEnd - p.ByteStart),
                    p.Id == unigram.UnknownId ? FairseqUnk : p.Id + FairseqOffset, SourceSpan(normalized, p, byteToChar, chunk, piece.Start));
            }
        }
        return result.Build(Kind, text, BosId, EosId, PadId, MaxLength);
    }

    static TokenSpan SourceSpan(NormalizedBytes normalized, UnigramPiece piece, int[] byteToChar, string chunk, int offset)
    {
        var startByte = normalized.SourceStart[piece.ByteStart];
        var endByte = normalized.SourceEnd[piece.ByteEnd - 1];
        if (endByte <= startByte) return new TokenSpan(offset + CharAt(byteToChar, startByte, chunk), 0);
        var start = CharAt(byteToChar, startByte, chunk);
        var lastChar = byteToChar[endByte - 1];
        var end = lastChar + (char.IsHighSurrogate(chunk[lastChar]) && lastChar + 1 < chunk.Length ? 2 : 1);
        return new TokenSpan(offset + start, end - start);
    }

    static int CharAt(int[] byteToChar, int b, string chunk) => b < byteToChar.Length ? byteToChar[b] : chunk.Length;
}
