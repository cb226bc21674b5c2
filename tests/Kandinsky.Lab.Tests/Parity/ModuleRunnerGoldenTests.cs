using Kandinsky.Lab.Parity;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Parity;

/// <summary>Every golden case of the module kinds the runner supports passes through the run-module code path.</summary>
public class ModuleRunnerGoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => GoldenCase.OfKinds([.. ModuleRunner.SupportedKinds]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void CasePassesWithinTolerance(string caseName)
    {
        var results = GoldenCase.RunAndAssert(caseName, output);
        Assert.Contains(results, r => r.Name.StartsWith("out.", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryTextEncoderPriorAndSchedulerKindHasACase()
    {
        string[] kinds = ["mclip", "clip_text", "clip_vision", "clip_image_processor", "prior",
            "scheduler_unclip", "scheduler_ddim", "scheduler_ddpm", "img2img_add_noise"];
        foreach (var kind in kinds) Assert.NotEmpty(GoldenCase.OfKinds(kind));
    }

    [Fact]
    public void TracesAreProducedAndChecked()
    {
        using var outputs = ModuleRunner.Run(Fixtures.Golden("prior_a"), trace: true);
        var spec = GoldenCaseSpec.Load(Fixtures.Golden("prior_a"));
        var results = ParityCheck.CompareCase(spec, outputs);
        Assert.Contains(results, r => r.Name == "trace.transformer_blocks.1" && r.Passed);
        Assert.Contains(results, r => r.Name == "trace.time_proj" && r.Passed);
    }

    [Fact]
    public void UnknownModuleKindIsNamedWithTheSupportedList()
    {
        var dir = Directory.CreateTempSubdirectory("bogus-case").FullName;
        try
        {
            File.Copy(Path.Combine(Fixtures.Golden("img2img_add_noise_a"), "io.safetensors"), Path.Combine(dir, "io.safetensors"));
            File.WriteAllText(Path.Combine(dir, "case.json"), "{\"module\": \"teleporter\", \"atol\": 1e-5, \"rtol\": 1e-5}");
            var ex = Assert.Throws<NotSupportedException>(() => ModuleRunner.Run(dir));
            Assert.Contains("\"teleporter\"", ex.Message);
            Assert.Contains("scheduler_ddpm", ex.Message);
            Assert.Contains("pipeline_text2img", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void OutputsRoundTripThroughTheSafetensorsFile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"run-module-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModuleRunner.RunToFile(Fixtures.Golden("img2img_add_noise_a"), file);
            using var written = Kandinsky.Lab.Tensors.IO.SafetensorsFile.Open(file);
            Assert.Equal(["out.latent_timestep", "out.noisy_latents", "out.timesteps"], written.Names.Order(StringComparer.Ordinal).ToArray());
            using var golden = Kandinsky.Lab.Tensors.IO.SafetensorsFile.Open(Path.Combine(Fixtures.Golden("img2img_add_noise_a"), "io.safetensors"));
            Assert.Equal(golden.ReadInt64("out.timesteps"), written.ReadInt64("out.timesteps"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
