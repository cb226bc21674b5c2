using System.Security.Cryptography;
using System.Text;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// A SHA-256 fingerprint of a model folder for reproducibility records: every file's relative path and length, and
/// its contents up to 64 MiB (beyond that the first and last 16 MiB — safetensors headers and tails — so a
/// 13 GB checkpoint is fingerprinted in a second while any re-saved or edited file still changes the value).
/// </summary>
public static class ModelFingerprint
{
    const long FullHashLimit = 64L << 20;
    const int EdgeBytes = 16 << 20;

    public static string Compute(string folder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var root = Path.GetFullPath(folder);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            sha.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(root, file).Replace('\\', '/')}\n{info.Length}\n"));
            using var stream = File.OpenRead(file);
            if (info.Length <= FullHashLimit) Append(sha, stream, info.Length);
            else
            {
                Append(sha, stream, EdgeBytes);
                stream.Seek(-EdgeBytes, SeekOrigin.End);
                Append(sha, stream, EdgeBytes);
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    static void Append(IncrementalHash sha, Stream stream, long count)
    {
        var buffer = new byte[1 << 20];
        while (count > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (read == 0) break;
            sha.AppendData(buffer, 0, read);
            count -= read;
        }
    }
}
