using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>The model fingerprint a reproducibility record carries covers every byte of every file.</summary>
public sealed class ModelFingerprintTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("fingerprint-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_edit_in_the_middle_of_a_large_file_changes_the_fingerprint()
    {
        // 80 MiB: past the size that was once hashed only by its first and last 16 MiB. Sparse, so it costs no disk.
        const long length = 80L << 20;
        var path = Path.Combine(_dir, "unet", "diffusion_pytorch_model.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var stream = new FileStream(path, FileMode.Create)) stream.SetLength(length);
        var original = ModelFingerprint.Compute(_dir);

        WriteByte(path, length / 2, 1);
        var edited = ModelFingerprint.Compute(_dir);
        WriteByte(path, length / 2, 0);

        Assert.NotEqual(original, edited);
        Assert.Equal(original, ModelFingerprint.Compute(_dir));   // the same bytes give the same fingerprint again
    }

    static void WriteByte(string path, long offset, byte value)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.WriteByte(value);
    }
}
