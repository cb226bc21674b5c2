using Kandinsky.Lab.Cli;
using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

public sealed class PngToTensorCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("png-to-tensor-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot().Parse(args).Invoke(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    static string Suite(string stem) => Fixtures.Path_("pngsuite", "images", stem + ".png");

    [Theory]
    [InlineData("basn3p04")] // 4-bit palette
    [InlineData("tbrn2c08")] // RGB with a tRNS key colour
    [InlineData("basi4a16")] // interlaced 16-bit grey + alpha
    public void WritesReferencePixels(string stem)
    {
        var target = Path.Combine(_dir, stem + ".safetensors");
        var (exit, output, error) = Run("png-to-tensor", Suite(stem), "--out", target);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains(target, output);
        using var written = SafetensorsFile.Open(target);
        using var reference = SafetensorsFile.Open(Fixtures.Path_("pngsuite", "reference.safetensors"));
        Assert.Equal(["pixels"], written.Names);
        Assert.Equal(reference.ReadArray<ushort>(stem, out var expectedShape), written.ReadArray<ushort>("pixels", out var shape));
        Assert.Equal(expectedShape, shape);
    }

    [Fact]
    public void RejectedFileExitsWithTwoAndOneLine()
    {
        var target = Path.Combine(_dir, "x.safetensors");
        var (exit, output, error) = Run("png-to-tensor", Suite("xcsn0g01"), "--out", target);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: " + Suite("xcsn0g01"), error);
        Assert.Contains("CRC mismatch", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void MissingFileExitsWithTwo()
    {
        var (exit, _, error) = Run("png-to-tensor", Path.Combine(_dir, "absent.png"), "--out", Path.Combine(_dir, "o.safetensors"));
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void OutIsRequired() => Assert.NotEqual(0, Run("png-to-tensor", Suite("basn0g08")).Exit);

    [Fact]
    public void EncodedImageRoundTripsThroughTheVerb()
    {
        var source = Path.Combine(_dir, "lab.png");
        var pixels = Enumerable.Range(0, 5 * 3 * 4).Select(i => (byte)(i * 37)).ToArray();
        Png.Save(Image.FromBytes(5, 3, 4, pixels), source);
        var target = Path.Combine(_dir, "lab.safetensors");
        Assert.Equal(0, Run("png-to-tensor", source, "--out", target).Exit);
        using var written = SafetensorsFile.Open(target);
        Assert.Equal(pixels.Select(v => (ushort)(v * 257)), written.ReadArray<ushort>("pixels"));
    }
}
