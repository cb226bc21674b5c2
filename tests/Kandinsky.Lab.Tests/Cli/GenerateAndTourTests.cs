using System.Text.Json;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Visuals;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Cli;

[Collection(LiveDisplayCollection.Name)]
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
            Assert.Equal(5UL, record.RootElement.GetProperty("prior").GetProperty("seed").GetUInt64());
            Assert.Equal(5UL, record.RootElement.GetProperty("decoder").GetProperty("seed").GetUInt64());
            Assert.Equal(2, record.RootElement.GetProperty("decoder").GetProperty("steps").GetInt32());
            Assert.Equal(2, record.RootElement.GetProperty("prior").GetProperty("images_per_prompt").GetInt32());
            Assert.Equal("Default", record.RootElement.GetProperty("decoder").GetProperty("scheduler").GetString());
            Assert.Equal(ModelFingerprint.Compute(KandinskyLab.MicroPath), record.RootElement.GetProperty("model_fingerprint_sha256").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ReplayingARecordGivesTheSameImagesBitForBit()
    {
        var first = Directory.CreateTempSubdirectory("generate").FullName;
        var second = Directory.CreateTempSubdirectory("replay").FullName;
        try
        {
            // No seed given: the record holds the random one the run drew, and the replay must find it there.
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["generate", "a person with green hair", "--prior-steps", "3", "--steps", "3",
                "--guidance", "5", "--width", "60", "--scheduler", "Ddim", "--out", first]));
            var record = Assert.Single(Directory.GetFiles(first, "generation-*.json"));
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["generate", "--replay", record, "--out", second]));
            var original = Assert.Single(Directory.GetFiles(first, "*.png"));
            var replayed = Path.Combine(second, Path.GetFileName(original));
            Assert.True(File.Exists(replayed), $"the replay wrote no {Path.GetFileName(original)}");
            Assert.Equal(Png.Load(original).Bytes, Png.Load(replayed).Bytes);
            Assert.Equal(64, Png.Load(replayed).Width);

            // The record replays through the library too: the same pixels from the same settings.
            using var lab = KandinskyLab.Micro();
            using var again = lab.Replay(GenerationRecord.Load(record));
            Assert.Equal(Png.Load(original).Bytes, again.Images[0].Bytes);
        }
        finally
        {
            Directory.Delete(first, recursive: true);
            Directory.Delete(second, recursive: true);
        }
    }

    [Fact]
    public void GenerateTakesTheSolverFromTheCommandLine()
    {
        var dir = Directory.CreateTempSubdirectory("generate-dpm").FullName;
        try
        {
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["generate", "a person with red hair", "--seed", "6", "--prior-steps", "2", "--steps", "3",
                "--scheduler", "DpmSolverMultistep", "--out", dir]));
            var record = GenerationRecord.Load(Path.Combine(dir, "generation-6.json"));
            Assert.Equal(DecoderSchedulerKind.DpmSolverMultistep, record.Decode.Scheduler);
            Assert.Equal(new Kandinsky.Lab.Schedulers.DpmSolverOptions(), record.Decode.DpmSolver);
            Assert.Single(Directory.GetFiles(dir, "*.png"), p => Png.Load(p).Width == 64);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ReplayRejectsExtraSettingsAndAnotherModel()
    {
        var dir = Directory.CreateTempSubdirectory("replay").FullName;
        try
        {
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["generate", "x", "--seed", "3", "--prior-steps", "2", "--steps", "1", "--out", dir]));
            var record = Path.Combine(dir, "generation-3.json");
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "--replay", record, "--steps", "4", "--out", dir]));
            var edited = Path.Combine(dir, "edited.json");
            File.WriteAllText(edited, File.ReadAllText(record).Replace("\"model_fingerprint_sha256\": \"", "\"model_fingerprint_sha256\": \"0"));
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "--replay", edited, "--out", dir]));
            File.WriteAllText(edited, "{\"prompt\": \"x\"}");
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "--replay", edited, "--out", dir]));
            // a scheduler the embedded model does not ship is a clear error, not a crash
            Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["generate", "x", "--scheduler", "Ddpm", "--prior-steps", "2", "--steps", "1", "--out", dir]));
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
    /// <summary>Every sentence of the report comes from the run it describes; the data card is quoted only for the embedded model.</summary>
    [Fact]
    public void TheTourSaysWhatItsOwnRunMeasured()
    {
        var copy = Directory.CreateTempSubdirectory("tour-model").FullName;
        var dir = Directory.CreateTempSubdirectory("tour").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(KandinskyLab.MicroPath, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(KandinskyLab.MicroPath, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            var options = new TourOptions { PriorSteps = 3, DecoderSteps = 2, BleedImagesPerPrompt = 2, Prompts = ["a person with blue hair"] };
            string embedded, elsewhere;
            using (var lab = KandinskyLab.Micro()) embedded = File.ReadAllText(Tour.Run(lab, Path.Combine(dir, "a"), options).ReportPath);
            using (var lab = KandinskyLab.Load(copy)) elsewhere = File.ReadAllText(Tour.Run(lab, Path.Combine(dir, "b"), options).ReportPath);
            Assert.Contains("data card says", embedded);
            Assert.DoesNotContain("67%", elsewhere);
            Assert.DoesNotContain("settles long before", embedded);
            Assert.Contains("of 3", embedded);

            using var micro = KandinskyLab.Micro();
            using var text = micro.EncodeText(["a person with blue hair", "a person with red hair"]);
            using var prior = micro.Prior(text, new PriorOptions { Steps = 6, Seed = 4 });
            var finding = Tour.PriorFinding(prior);
            var toText = Enumerable.Range(0, 2).Select(r => ImageEmbedding.Cosine(prior.ImageEmbeds.Vector(r), prior.TextEmbeds.Vector(r))).ToList();
            Assert.Contains(FormattableString.Invariant($"{toText.Min():F2}–{toText.Max():F2}"), finding);
            Assert.Contains("of 6", finding);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void TheBleedFindingSaysWhetherTheRunCanTellTheArmsApart()
    {
        static BleedArm Arm(string prompt, int blue, int n) => new(prompt, [],
            Enumerable.Range(0, n).Select(i => new EyeReading(true, (0, 0), (0, 0), (0, 0, 0), i < blue ? "blue" : "brown", 1)).ToList());
        var apart = Tour.BleedFinding(new ConceptBleed("blue", [Arm("a", 40, 50), Arm("b", 2, 50)], 1, 1, 1));
        var overlapping = Tour.BleedFinding(new ConceptBleed("blue", [Arm("a", 2, 4), Arm("b", 1, 4)], 1, 1, 1));
        Assert.Contains("“a”: 40 of 50 (80%", apart);
        Assert.Contains("do not overlap", apart);
        Assert.Contains("overlap: at this sample size the run cannot tell", overlapping);
    }
}
