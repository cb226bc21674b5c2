using System.Buffers.Binary;
using System.Text;

namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>Normalized UTF-8 and, for each of its bytes, the range of input bytes it came from.</summary>
internal sealed record NormalizedBytes(byte[] Utf8, int[] SourceStart, int[] SourceEnd)
{
    public string Text => Encoding.UTF8.GetString(Utf8);
}

/// <summary>
/// SentencePiece's normalizer driven by the model's own <c>precompiled_charsmap</c>: at each position the longest
/// key of the charsmap trie is replaced (no match: one UTF-8 character is copied, an invalid byte becomes U+FFFD);
/// then the <c>normalizer_spec</c> flags decide whitespace: leading spaces dropped, a dummy-prefix space, runs of
/// spaces collapsed, trailing spaces dropped, spaces written as <c>▁</c>. Only U+0020 is a space after the map.
/// </summary>
/// <remarks>
/// Charsmap blob: uint32 (LE) size of the double-array trie in bytes, the darts-clone units, then the
/// NUL-terminated replacement strings; a leaf's value is a byte offset into that string area.
/// </remarks>
internal sealed class SentencePieceNormalizer
{
    static readonly byte[] SpaceSymbol = "\u2581"u8.ToArray();
    static readonly byte[] ReplacementCharacter = "\uFFFD"u8.ToArray();

    readonly DartsCloneTrie? charsmap;
    readonly byte[] replacements = [];
    readonly PieceTrie? userDefined;
    readonly bool addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, whitespaceAsSuffix;

    public SentencePieceNormalizer(SentencePieceModel model)
    {
        (addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, whitespaceAsSuffix) =
            (model.AddDummyPrefix, model.RemoveExtraWhitespaces, model.EscapeWhitespaces, model.TreatWhitespaceAsSuffix);
        var blob = model.PrecompiledCharsmap;
        if (blob.Length > 0)
        {
            if (blob.Length < 4) throw new FormatException($"precompiled_charsmap has {blob.Length} bytes, too short for its size header");
            var trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
            if (trieSize > blob.Length - 4)
                throw new FormatException($"precompiled_charsmap declares a {trieSize}-byte trie but holds only {blob.Length - 4} bytes after the header");
            charsmap = new DartsCloneTrie(blob.AsSpan(4, (int)trieSize));
            replacements = blob.AsSpan(4 + (int)trieSize).ToArray();
            var bad = charsmap.LeafValues().Where(v => v >= replacements.Length).Take(1).ToArray();
            if (bad.Length > 0)
                throw new FormatException($"precompiled_charsmap leaf points at offset {bad[0]} outside its {replacements.Length}-byte string area");
        }
        var userPieces = model.Pieces.Select((p, id) => (p, id)).Where(x => x.p.Type == PieceType.UserDefined)
            .Select(x => (Encoding.UTF8.GetBytes(x.p.Piece), x.id)).ToArray();
        if (userPieces.Length > 0) userDefined = new PieceTrie(userPieces);
    }

    /// <summary>One normalization step at the start of <paramref name="input"/>: (replacement, bytes consumed).</summary>
    ReadOnlySpan<byte> NormalizePrefix(ReadOnlySpan<byte> input, out int consumed)
    {
        if (userDefined is not null)
        {
            var (_, length) = userDefined.LongestPrefix(input);
            if (length > 0)
            {
                consumed = length;
                return input[..length];
            }
        }
        if (charsmap is not null)
        {
            var (value, length) = charsmap.LongestPrefix(input);
            if (length > 0)
            {
                consumed = length;
                var tail = replacements.AsSpan(value);
                var nul = tail.IndexOf((byte)0);
                return nul < 0 ? tail : tail[..nul];
            }
        }
        consumed = ValidCharLength(input);
        if (consumed > 0) return input[..consumed];
        consumed = 1;
        return ReplacementCharacter;
    }

    /// <summary>Byte length of the well-formed UTF-8 character at the start, or 0 if malformed.</summary>
    static int ValidCharLength(ReadOnlySpan<byte> s)
    {
        var b = s[0];
        if (b < 0x80) return 1;
        var (length, min) = b switch
        {
            >= 0xC2 and <= 0xDF => (2, 0x80),
            >= 0xE0 and <= 0xEF => (3, 0x800),
            >= 0xF0 and <= 0xF4 => (4, 0x10000),
            _ => (0, 0),
        };
        if (length == 0 || s.Length < length) return 0;
        var cp = b & (0x7F >> length);
        for (var i = 1; i < length; i++)
        {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        return cp < min || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF ? 0 : length;
    }

    public NormalizedBytes Normalize(ReadOnlySpan<byte> input)
    {
        var output = new List<byte>(input.Length + 8);
        var sourceStart = new List<int>(input.Length + 8);
        var sourceEnd = new List<int>(input.Length + 8);
        var position = 0;

        void Emit(ReadOnlySpan<byte> bytes, int start, int end)
        {
            foreach (var b in bytes)
            {
                output.Add(b);
                sourceStart.Add(start);
                sourceEnd.Add(end);
            }
        }

        void EmitSpace(int start, int end)
        {
            if (escapeWhitespaces) Emit(SpaceSymbol, start, end);
            else Emit(" "u8, start, end);
        }

        if (removeExtraWhitespaces)
        {
            while (position < input.Length)
            {
                var replacement = NormalizePrefix(input[position..], out var consumed);
                if (!replacement.SequenceEqual(" "u8)) break;
                position += consumed;
            }
        }
        if (position == input.Length) return new NormalizedBytes([], [], []);
        if (!whitespaceAsSuffix && addDummyPrefix) EmitSpace(position, position);

        var isPreviousSpace = removeExtraWhitespaces;
        while (position < input.Length)
        {
            var replacement = NormalizePrefix(input[position..], out var consumed);
            while (isPreviousSpace && replacement.Length > 0 && replacement[0] == (byte)' ') replacement = replacement[1..];
            if (replacement.Length > 0)
            {
                foreach (var b in replacement)
                {
                    if (escapeWhitespaces && b == (byte)' ') Emit(SpaceSymbol, position, position + consumed);
                    else Emit([b], position, position + consumed);
                }
                isPreviousSpace = replacement[^1] == (byte)' ';
            }
            position += consumed;
            if (!removeExtraWhitespaces) isPreviousSpace = false;
        }

        if (removeExtraWhitespaces)
        {
            var space = escapeWhitespaces ? SpaceSymbol : " "u8.ToArray();
            while (output.Count >= space.Length && output.AsSpan()[^space.Length..].SequenceEqual(space))
            {
                var keep = output.Count - space.Length;
                output.RemoveRange(keep, space.Length);
                sourceStart.RemoveRange(keep, space.Length);
                sourceEnd.RemoveRange(keep, space.Length);
            }
        }
        if (whitespaceAsSuffix && addDummyPrefix) EmitSpace(input.Length, input.Length);
        return new NormalizedBytes(output.ToArray(), sourceStart.ToArray(), sourceEnd.ToArray());
    }
}

internal static class ListSpanExtensions
{
    public static ReadOnlySpan<byte> AsSpan(this List<byte> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);
}
