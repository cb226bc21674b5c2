using Kandinsky.Lab.Parity;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Parity;

/// <summary>Every golden case folder passes through the run-module code path.</summary>
public class ModuleRunnerGoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => GoldenCase.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void CasePassesWithinTolerance(string caseName)
    {
        var results = GoldenCase.RunAndAssert(caseName, output);
        Assert.Contains(results, r => r.Name.StartsWith("out.", StringComparison.Ordinal));
    }

    [Fact]
    public void EverySupportedKindHasACase()
    {
        var kinds = GoldenCase.Names().Select(name => GoldenCaseSpec.Load(Fixtures.Golden(name)).Module).ToHashSet();
        Assert.All(ModuleRunner.SupportedKinds, kind => Assert.True(kinds.Contains(kind), $"no golden case of kind {kind}"));
    }

    [Fact]
    public void AFolderWithoutCaseJsonIsListedAndFailsByName()
    {
        var root = Directory.CreateTempSubdirectory("golden-root").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "forgotten_a"));
            Assert.Equal(["forgotten_a"], GoldenCase.Names(root));
            var ex = Assert.Throws<FileNotFoundException>(() => ModuleRunner.Run(Path.Combine(root, "forgotten_a")));
            Assert.Contains(Path.Combine("forgotten_a", "case.json"), ex.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
