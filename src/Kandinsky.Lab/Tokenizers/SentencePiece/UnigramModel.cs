using System.Text;

namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>One piece of a segmentation: SentencePiece id and the byte range of the normalized text it covers.</summary>
internal readonly record struct UnigramPiece(int Id, int ByteStart, int ByteEnd);

/// <summary>
/// SentencePiece's unigram model: the Viterbi path of highest total score over the normalized text. Edges are the
/// NORMAL pieces matching at a position (USER_DEFINED pieces score <c>length × max score − 0.1</c>; UNUSED are
/// skipped); a character that starts no piece gets a one-character unknown edge scored <c>min score − 10</c>.
/// Consecutive unknown characters come out as one unknown piece. Scores add up in float, as in the reference, and
/// ties keep the first (shorter) candidate.
/// </summary>
internal sealed class UnigramModel
{
    const float UnknownPenalty = 10f;

    readonly PieceTrie trie;
    readonly PieceType[] types;
    readonly float[] scores;
    readonly float unknownScore, maxScore;

    public int UnknownId { get; }

    public UnigramModel(SentencePieceModel model)
    {
        types = model.Pieces.Select(p => p.Type).ToArray();
        scores = model.Pieces.Select(p => p.Score).ToArray();
        var normal = model.Pieces.Where(p => p.Type == PieceType.Normal).Select(p => p.Score).ToArray();
        var minScore = normal.Length > 0 ? normal.Min() : 0f;
        maxScore = normal.Length > 0 ? normal.Max() : 0f;
        unknownScore = minScore - UnknownPenalty;
        UnknownId = model.UnkId;
        trie = new PieceTrie(model.Pieces.Select((p, id) => (p, id))
            .Where(x => x.p.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused)
            .Select(x => (Encoding.UTF8.GetBytes(x.p.Piece), x.id)));
    }

    static int CharLength(byte first) => first < 0xC0 ? 1 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : 4;

    public List<UnigramPiece> Encode(ReadOnlySpan<byte> text)
    {
        var n = text.Length;
        var result = new List<UnigramPiece>();
        if (n == 0) return result;
        var best = new float[n + 1];
        var startsAt = new int[n + 1];
        var ids = new int[n + 1];
        Array.Fill(startsAt, -1);
        startsAt[0] = 0;

        for (var start = 0; start < n;)
        {
            var scoreHere = best[start];
            var charLength = Math.Min(CharLength(text[start]), n - start);
            var hasSingleCharPiece = false;
            var node = PieceTrie.Root;
            for (var end = start; end < n; end++)
            {
                node = trie.Child(node, text[end]);
                if (node < 0) break;
                var id = trie.ValueOf(node);
                if (id < 0 || types[id] == PieceType.Unused) continue;
                var length = end + 1 - start;
                var score = types[id] == PieceType.UserDefined ? length * maxScore - 0.1f : scores[id];
                var candidate = score + scoreHere;
                if (startsAt[end + 1] == -1 || candidate > best[end + 1])
                    (best[end + 1], startsAt[end + 1], ids[end + 1]) = (candidate, start, id);
                if (length == charLength) hasSingleCharPiece = true;
            }
            if (!hasSingleCharPiece)
            {
                var target = start + charLength;
                var candidate = unknownScore + scoreHere;
                if (startsAt[target] == -1 || candidate > best[target])
                    (best[target], startsAt[target], ids[target]) = (candidate, start, UnknownId);
            }
            start += charLength;
        }

        for (var end = n; end > 0; end = startsAt[end]) result.Add(new UnigramPiece(ids[end], startsAt[end], end));
        result.Reverse();

        // Consecutive unknowns become one piece.
        var merged = new List<UnigramPiece>(result.Count);
        foreach (var piece in result)
        {
            if (piece.Id == UnknownId && merged.Count > 0 && merged[^1].Id == UnknownId)
                merged[^1] = merged[^1] with { ByteEnd = piece.ByteEnd };
            else merged.Add(piece);
        }
        return merged;
    }
}
