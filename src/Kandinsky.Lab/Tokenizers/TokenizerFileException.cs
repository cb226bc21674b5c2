namespace Kandinsky.Lab.Tokenizers;

/// <summary>A tokenizer file is missing or malformed; the message names the file and what was wrong.</summary>
public sealed class TokenizerFileException : IOException
{
    public string FilePath { get; }

    public TokenizerFileException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner) => FilePath = filePath;

    internal static string RequireFile(string directory, string fileName)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
            throw new TokenizerFileException(path, Directory.Exists(directory)
                ? $"file not found (the tokenizer folder has: {string.Join(", ", Directory.GetFiles(directory).Select(Path.GetFileName))})"
                : "file not found (the tokenizer folder does not exist)");
        return path;
    }
}
