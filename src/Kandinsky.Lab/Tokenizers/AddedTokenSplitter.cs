using Kandinsky.Lab.Tokenizers.Text;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>A token that is cut out of the raw text before normalization (special tokens, added tokens).</summary>
/// <param name="StripLeft">Remove the whitespace directly before the token (Hugging Face <c>lstrip</c>).</param>
/// <param name="StripRight">Remove the whitespace directly after it (<c>rstrip</c>).</param>
public sealed record AddedToken(string Content, int Id, bool StripLeft = false, bool StripRight = false);

/// <summary>One piece of the raw text: either an added token or a chunk of ordinary text between them.</summary>
internal readonly record struct TextPiece(int Start, int Length, AddedToken? Token);

/// <summary>
/// Splits text at added tokens, scanning left to right and taking the longest token that matches. Stripping
/// removes what Python's <c>str.isspace</c> calls whitespace, as Hugging Face does.
/// </summary>
internal sealed class AddedTokenSplitter
{
    readonly AddedToken[] tokens;

    public AddedTokenSplitter(IEnumerable<AddedToken> addedTokens) =>
        tokens = addedTokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToArray();

    public IReadOnlyList<AddedToken> Tokens => tokens;

    public List<TextPiece> Split(string text)
    {
        var pieces = new List<TextPiece>();
        var chunkStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = Match(text, i);
            if (match is null)
            {
                i++;
                continue;
            }
            var chunkEnd = i;
            if (match.StripLeft)
                while (chunkEnd > chunkStart && CodePoints.IsWhiteSpace(text[chunkEnd - 1])) chunkEnd--;
            if (chunkEnd > chunkStart) pieces.Add(new TextPiece(chunkStart, chunkEnd - chunkStart, null));
            pieces.Add(new TextPiece(i, match.Content.Length, match));
            i += match.Content.Length;
            if (match.StripRight)
                while (i < text.Length && CodePoints.IsWhiteSpace(text[i])) i++;
            chunkStart = i;
        }
        if (chunkStart < text.Length) pieces.Add(new TextPiece(chunkStart, text.Length - chunkStart, null));
        return pieces;
    }

    AddedToken? Match(string text, int at)
    {
        foreach (var token in tokens)
            if (string.CompareOrdinal(text, at, token.Content, 0, token.Content.Length) == 0) return token;
        return null;
    }
}
