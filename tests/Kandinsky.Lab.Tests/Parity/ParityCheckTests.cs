using Kandinsky.Lab.Parity;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Parity;

/// <summary>The pass rule itself: it must fail on a perturbation beyond tolerance, a wrong shape, a missing output or an integer mismatch.</summary>
public class ParityCheckTests
{
    static readonly string Case = Fixtures.Golden("img2img_add_noise_a");

    static ModuleOutputs GoldenCopy()
    {
        using var io = SafetensorsFile.Open(Path.Combine(Case, "io.safetensors"));
        var outputs = new ModuleOutputs();
        outputs.Set("out.noisy_latents", ParityValue.Of(io.GetTensorAsFloat32("out.noisy_latents")));
        outputs.Set("out.timesteps", ParityValue.Of(io.ReadInt64("out.timesteps"), 3));
        outputs.Set("out.latent_timestep", ParityValue.Of(io.ReadInt64("out.latent_timestep"), 2));
        return outputs;
    }

    [Fact]
    public void GoldenValuesPass()
    {
        using var outputs = GoldenCopy();
        var results = ParityCheck.CompareCase(GoldenCaseSpec.Load(Case), outputs);
        Assert.All(results, r => Assert.True(r.Passed, r.ToString()));
        Assert.All(results, r => Assert.Equal(0, r.MaxAbsError));
    }

    [Fact]
    public void PerturbationBeyondToleranceFailsAndIsReported()
    {
        using var outputs = GoldenCopy();
        var spec = GoldenCaseSpec.Load(Case);
        var tol = spec.ToleranceFor("out.noisy_latents");
        var t = outputs.Values["out.noisy_latents"].Float!;
        float golden = t[1, 2, 3, 4];
        t[1, 2, 3, 4] = golden + (float)(3 * (tol.Atol + tol.Rtol * Math.Abs(golden)));
        var result = ParityCheck.CompareCase(spec, outputs).Single(r => r.Name == "out.noisy_latents");
        Assert.False(result.Passed);
        Assert.InRange(result.WorstRatio, 2.5, 3.5);
        Assert.Contains("worst at flat index", result.Detail);
        Assert.Contains("out.noisy_latents", ParityCheck.Report(spec, [result]));
    }

    [Fact]
    public void NaNFails()
    {
        using var outputs = GoldenCopy();
        outputs.Values["out.noisy_latents"].Float![0, 0, 0, 0] = float.NaN;
        var result = ParityCheck.CompareCase(GoldenCaseSpec.Load(Case), outputs).Single(r => r.Name == "out.noisy_latents");
        Assert.False(result.Passed);
    }

    /// <summary>
    /// One NaN or infinity among finite values fails whichever side it is on (LINQ's Max of [0, NaN, 0] is 0, so a
    /// max-of-differences check would pass it).
    /// </summary>
    [Theory]
    [InlineData(float.NaN, 0f)]
    [InlineData(0f, float.NaN)]
    [InlineData(float.PositiveInfinity, 0f)]
    [InlineData(0f, float.NegativeInfinity)]
    [InlineData(float.NaN, float.NaN)]
    public void NonFiniteValuesFailOnEitherSide(float ours, float golden)
    {
        var file = Path.Combine(Path.GetTempPath(), $"nan-golden-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var written = new ModuleOutputs())
            {
                written.Set("out.x", ParityValue.Of(Tensor.FromArray([0f, golden, 0f], 3)));
                written.Save(file);
            }
            using var goldenFile = SafetensorsFile.Open(file);
            using var value = ParityValue.Of(Tensor.FromArray([0f, ours, 0f], 3));
            var result = ParityCheck.Compare("out.x", value, goldenFile, new Tolerance(1, 1, false));
            Assert.False(result.Passed, result.ToString());
            Assert.Equal(double.PositiveInfinity, result.WorstRatio);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void IntegerMismatchFailsExactTolerance()
    {
        using var outputs = GoldenCopy();
        var ts = outputs.Values["out.timesteps"].Int64!;
        outputs.Set("out.timesteps", ParityValue.Of(ts.Select((v, i) => i == 1 ? v + 1 : v).ToArray(), 3));
        var result = ParityCheck.CompareCase(GoldenCaseSpec.Load(Case), outputs).Single(r => r.Name == "out.timesteps");
        Assert.True(result.Tolerance.Exact);
        Assert.False(result.Passed);
    }

    [Fact]
    public void MissingOutputAndWrongShapeFail()
    {
        var spec = GoldenCaseSpec.Load(Case);
        using var partial = new ModuleOutputs();
        partial.Set("out.noisy_latents", ParityValue.Of(Tensor.Zeros(2, 4, 6, 4)));
        var results = ParityCheck.CompareCase(spec, partial);
        Assert.Contains(results, r => r.Name == "out.noisy_latents" && !r.Passed && r.Detail.Contains("shape [2, 4, 6, 4]"));
        Assert.Contains(results, r => r.Name == "out.timesteps" && !r.Passed && r.Detail == "not produced");
    }
}
