using System.Text.Json;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Cli;

public class GenerateAndTourTests
{
    [Fact]
    public void GenerateWritesImagesAndAReproducibilityRecord()
    {
        var dir = Directory.CreateTempSubdirectory("generate").FullName;
        try
        {
            int exit = Kandinsky.Lab.Cli.Program.Main(["generate", "a person with blue hair", "--seed", "5", "--prior-steps", "2", "--steps", "2", "--images", "2", "--out", dir]);
            Assert.Equal(0, exit);
            var pngs = Directory.GetFiles(dir, "*.png");
            Assert.Equal(2, pngs.Length);
            Assert.All(pngs, p => Assert.Equal(64, Png.Load(p).Width));
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "generation-5.json")));
            Assert.Equal(5UL, record.RootElement.GetProperty("seed").GetUInt64());
            Assert.Equal(2, record.RootElement.GetProperty("steps").GetInt32());
            Assert.Equal(ModelFingerprint.Compute(KandinskyLab.MicroPath), record.RootElement.GetProperty("model_fingerprint_sha256").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void GenerateRejectsBadArgumentsAndMissingModels()
    {
        Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "x", "--steps", "0"]));
        Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "x", "--model", Path.Combine(Path.GetTempPath(), "no-such-model")]));
    }

    [Fact]
    public void TourWritesAScriptFreeReport()
    {
        var dir = Directory.CreateTempSubdirectory("tour").FullName;
        try
        {
            using var lab = KandinskyLab.Micro();
            var options = new TourOptions { PriorSteps = 2, DecoderSteps = 2, BleedImagesPerPrompt = 2, Prompts = ["a person with <b>blue</b> hair", "человек"] };
            var result = Tour.Run(lab, dir, options);
            var html = File.ReadAllText(result.ReportPath);
            Assert.Contains("Concept bleed", html);
            Assert.DoesNotContain("<script", html);
            Assert.DoesNotContain("<b>blue</b>", html);
            Assert.Contains("<svg", html);
            Assert.Equal(2, result.ImagePaths.Count);
            Assert.Equal(2, result.Bleed.Arms.Count);
            Assert.All(result.Bleed.Arms, a => Assert.Equal(2, a.Readings.Count));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
