using System.Text;
using Kandinsky.Lab.Tokenizers.Text;

namespace Kandinsky.Lab.Tokenizers.Clip;

/// <summary>A normalized chunk and, for each of its UTF-16 units, the range of the original text it came from.</summary>
internal sealed record NormalizedChunk(string Text, int[] SourceStart, int[] SourceEnd);

/// <summary>
/// CLIP's normalizer (Hugging Face's slow <c>CLIPTokenizer</c> with ftfy): ftfy <c>fix_text</c>, every run of
/// whitespace replaced by one space and both ends trimmed, then Python's <c>str.lower()</c>.
/// </summary>
public static class ClipNormalizer
{
    public static string Normalize(string text) => PythonLower.Lower(CleanWhitespace(FtfyFixer.FixText(text)));

    public static string CleanWhitespace(string text)
    {
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        for (var i = 0; i < text.Length; i++)
        {
            var cp = CodePoints.At(text, i, out var width);
            if (CodePoints.IsWhiteSpace(cp)) pendingSpace = sb.Length > 0;
            else
            {
                if (pendingSpace) sb.Append(' ');
                pendingSpace = false;
                sb.Append(text, i, width);
            }
            i += width - 1;
        }
        return sb.ToString();
    }

    /// <summary>Normalizes <paramref name="text"/>[start..start+length] and maps the result back to it.</summary>
    internal static NormalizedChunk NormalizeWithOffsets(string text, int start, int length)
    {
        var chunk = text.Substring(start, length);
        var fixedText = FtfyFixer.FixText(chunk);
        var normalized = PythonLower.Lower(CleanWhitespace(fixedText));
        var sourceStart = new int[normalized.Length];
        var sourceEnd = new int[normalized.Length];
        if (fixedText != chunk || !TryAlign(chunk, normalized, start, sourceStart, sourceEnd))
        {
            // ftfy rewrote the chunk: every token of it points at the whole chunk.
            Array.Fill(sourceStart, start);
            Array.Fill(sourceEnd, start + length);
        }
        return new NormalizedChunk(normalized, sourceStart, sourceEnd);
    }

    /// <summary>Walks the original chunk code point by code point, replaying whitespace clean-up and lower-casing.</summary>
    static bool TryAlign(string chunk, string normalized, int offset, int[] sourceStart, int[] sourceEnd)
    {
        var n = 0;
        var pendingSpace = -1;
        for (var i = 0; i < chunk.Length;)
        {
            var cp = CodePoints.At(chunk, i, out var width);
            if (CodePoints.IsWhiteSpace(cp))
            {
                if (n > 0 && pendingSpace < 0) pendingSpace = i;
                i += width;
                continue;
            }
            if (pendingSpace >= 0)
            {
                if (n >= normalized.Length || normalized[n] != ' ') return false;
                (sourceStart[n], sourceEnd[n]) = (offset + pendingSpace, offset + i);
                n++;
                pendingSpace = -1;
            }
            var loweredLength = cp < 0x80 ? 1 : PythonLower.Lower(chunk.Substring(i, width)).Length;
            if (n + loweredLength > normalized.Length) return false;
            for (var k = 0; k < loweredLength; k++, n++) (sourceStart[n], sourceEnd[n]) = (offset + i, offset + i + width);
            i += width;
        }
        return n == normalized.Length;
    }
}
