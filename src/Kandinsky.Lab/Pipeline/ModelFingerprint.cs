using System.Security.Cryptography;
using System.Text;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// A SHA-256 fingerprint of a model folder for reproducibility records: every file's relative path, length and
/// every byte of its contents, so any edit anywhere in any file changes the value. One pass at disk speed costs
/// little beside loading the model, which reads the same bytes.
/// </summary>
public static class ModelFingerprint
{
    public static string Compute(string folder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var root = Path.GetFullPath(folder);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            sha.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(root, file).Replace('\\', '/')}\n{info.Length}\n"));
            using var stream = File.OpenRead(file);
            Append(sha, stream);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    static void Append(IncrementalHash sha, Stream stream)
    {
        var buffer = new byte[1 << 20];
        for (int read; (read = stream.Read(buffer)) > 0;) sha.AppendData(buffer, 0, read);
    }
}
