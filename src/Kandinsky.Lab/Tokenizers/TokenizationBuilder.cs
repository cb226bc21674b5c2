namespace Kandinsky.Lab.Tokenizers;

/// <summary>
/// Collects what both tokenizers produce while they walk a prompt — normalized segments, tokens, ids and source
/// spans — and builds the <see cref="Tokenization"/> the pipelines use: <c>[bos] + ids[:maxLength-2] + [eos]</c>,
/// right-padded, with its attention mask.
/// </summary>
internal sealed class TokenizationBuilder
{
    readonly List<string> _segments = [];
    readonly List<string> _tokens = [];
    readonly List<int> _ids = [];
    readonly List<TokenSpan> _spans = [];

    /// <summary>An added token cut out of the text: its literal is both the segment and the token.</summary>
    public void AddSpecial(AddedToken token, TextPiece piece)
    {
        _segments.Add(token.Content);
        Add(token.Content, token.Id, new TokenSpan(piece.Start, piece.Length));
    }

    public void AddSegment(string normalized) => _segments.Add(normalized);

    public void Add(string token, int id, TokenSpan span)
    {
        _tokens.Add(token);
        _ids.Add(id);
        _spans.Add(span);
    }

    public Tokenization Build(string kind, string text, int bos, int eos, int pad, int maxLength)
    {
        var (inputIds, mask) = PadAndMask(_ids, bos, eos, pad, maxLength);
        return new Tokenization(kind, text, _segments, _tokens, _ids, _spans, inputIds, mask, maxLength - 2);
    }

    /// <summary><c>[bos] + ids[:maxLength-2] + [eos]</c>, right-padded with <paramref name="pad"/>; mask 1 on real tokens.</summary>
    internal static (int[] InputIds, int[] Mask) PadAndMask(IReadOnlyList<int> ids, int bos, int eos, int pad, int maxLength)
    {
        var inputIds = new int[maxLength];
        var mask = new int[maxLength];
        var content = Math.Min(ids.Count, maxLength - 2);
        inputIds[0] = bos;
        for (var i = 0; i < content; i++) inputIds[i + 1] = ids[i];
        inputIds[content + 1] = eos;
        for (var i = content + 2; i < maxLength; i++) inputIds[i] = pad;
        for (var i = 0; i < content + 2; i++) mask[i] = 1;
        return (inputIds, mask);
    }
}
