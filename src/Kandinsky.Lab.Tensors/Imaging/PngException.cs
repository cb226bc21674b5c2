namespace Kandinsky.Lab.Tensors.Imaging;

/// <summary>
/// A PNG file was rejected. The message names the file when known,
/// the chunk involved and what was wrong, e.g. <c>photo.png: IDAT chunk at byte 57: CRC mismatch …</c>.
/// </summary>
public sealed class PngException : Exception
{
    public PngException(string? fileName, string? chunk, string problem, Exception? inner = null)
        : base(Compose(fileName, chunk, problem), inner)
    {
        FileName = fileName;
        Chunk = chunk;
        Problem = problem;
    }

    /// <summary>The file being read, or null when decoding bytes of unknown origin.</summary>
    public string? FileName { get; }

    /// <summary>The chunk involved ("IHDR", "IDAT at byte 57" …), or null for file-level problems.</summary>
    public string? Chunk { get; }

    /// <summary>What was wrong, without the file and chunk prefix.</summary>
    public string Problem { get; }

    static string Compose(string? fileName, string? chunk, string problem)
    {
        string where = (fileName, chunk) switch
        {
            (null, null) => "PNG",
            (null, _) => $"PNG {chunk} chunk",
            (_, null) => fileName,
            _ => $"{fileName}: {chunk} chunk",
        };
        return $"{where}: {problem}";
    }
}
