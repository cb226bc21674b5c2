namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// A PNG file was rejected. The message names the file when known,
/// the chunk involved and what was wrong, e.g. <c>photo.png: IDAT chunk at byte 57: CRC mismatch …</c>.
/// </summary>
public sealed class PngException : Exception
{
    public PngException(string? fileName, string? chunk, string problem, long chunkOffset = -1, Exception? inner = null)
        : base(Compose(fileName, chunk, chunkOffset, problem), inner)
    {
        FileName = fileName;
        Chunk = chunk;
        ChunkOffset = chunkOffset;
        Problem = problem;
    }

    /// <summary>The file being read, or null when decoding bytes of unknown origin.</summary>
    public string? FileName { get; }

    /// <summary>The type of the chunk involved ("IHDR", "IDAT" …), or null for file-level problems.</summary>
    public string? Chunk { get; }

    /// <summary>Where the chunk starts in the file (its length field), or −1 when not tied to one chunk.</summary>
    public long ChunkOffset { get; }

    /// <summary>What was wrong, without the file and chunk prefix.</summary>
    public string Problem { get; }

    static string Compose(string? fileName, string? chunk, long offset, string problem)
    {
        string file = fileName ?? "PNG";
        if (chunk is null) return $"{file}: {problem}";
        return offset >= 0 ? $"{file}: {chunk} chunk at byte {offset}: {problem}" : $"{file}: {chunk} chunk: {problem}";
    }
}
