using System.CommandLine;
using System.Text;
using Kandinsky.Lab.Cli;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>The `inspect` and `randn` verbs, invoked in-process through the real command tree.</summary>
public sealed class CliCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cli-io-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Exit, string Out, string Err) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.BuildRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Inspect_lists_tensors_and_metadata_of_a_file()
    {
        var path = Path.Combine(_dir, "t.safetensors");
        using (var w = new SafetensorsWriter().Add("layer.weight", new float[6], 2, 3).Add("ids", new long[] { 1, 2 }, 2))
        {
            w.Metadata["format"] = "pt";
            w.Save(path);
        }
        var (exit, output, error) = Invoke("inspect", path);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("2 tensors, 8 parameters", output);
        Assert.Contains("format: pt", output);
        Assert.Matches(@"layer\.weight\s+F32\s+\[2, 3\]\s+24", output);
        Assert.Matches(@"ids\s+I64\s+\[2\]\s+16", output);
    }

    [Fact]
    public void Inspect_summarises_pipeline_and_component_folders()
    {
        var (exit, output, _) = Invoke("inspect", Path.Combine(Fixtures.MicroModel, "decoder"));
        Assert.Equal(0, exit);
        Assert.Contains("KandinskyPipeline", output);
        Assert.Matches(@"unet\s+diffusers/UNet2DConditionModel\s+config\.json; diffusion_pytorch_model\.safetensors: \d+ tensors, [\d,]+ parameters", output);
        Assert.Matches(@"movq\s+diffusers/VQModel", output);

        (exit, output, _) = Invoke("inspect", Path.Combine(Fixtures.Golden("prior_a"), "model"));
        Assert.Equal(0, exit);
        Assert.Contains("component PriorTransformer", output);
        Assert.Contains("proj_in.weight", output);
    }

    [Theory]
    [InlineData(new byte[0], "shorter than the 8-byte")]
    [InlineData(new byte[] { 255, 255, 255, 255, 255, 255, 255, 255, 0 }, "exceeds")]
    [InlineData(new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']', (byte)' ', (byte)' ' }, "not an object")]
    public void Inspect_rejects_malformed_files_with_exit_2_and_one_line(byte[] bytes, string fragment)
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var (exit, output, error) = Invoke("inspect", path);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith($"error: {path}: ", error);
        Assert.Contains(fragment, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Inspect_rejects_missing_paths_bad_indexes_and_empty_folders()
    {
        var (exit, _, error) = Invoke("inspect", Path.Combine(_dir, "nope.safetensors"));
        Assert.Equal(2, exit);
        Assert.Contains("no such file or folder", error);

        var index = Path.Combine(_dir, "model.safetensors.index.json");
        File.WriteAllText(index, "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
        (exit, _, error) = Invoke("inspect", index);
        Assert.Equal(2, exit);
        Assert.Contains("inside the checkpoint folder", error);

        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        (exit, _, error) = Invoke("inspect", empty);
        Assert.Equal(2, exit);
        Assert.Contains("neither a model folder", error);
    }

    [Fact]
    public void Randn_writes_the_generators_draw_as_values()
    {
        var path = Path.Combine(_dir, "noise.safetensors");
        var (exit, output, error) = Invoke("randn", "--seed", "42", "--shape", "1,4,8,8", "--out", path);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.Contains("→", output);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["values"], file.Names);
        Assert.Equal("42", file.Metadata["seed"]);
        using var t = file.GetTensor("values");
        Assert.Equal([1, 4, 8, 8], t.ShapeArray());
        // PyTorch's own draw for this seed and shape, from tests/fixtures/rng.
        var reference = File.ReadLines(Path.Combine(Fixtures.Root, "rng", "torch_randn.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .First(e => e.GetProperty("kind").GetString() == "randn" && e.GetProperty("seed").GetInt32() == 42
                        && e.GetProperty("shape").GetRawText() == "[1, 4, 8, 8]");
        var expected = reference.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var actual = t.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6 * Math.Max(1, Math.Abs(expected[i])));
    }

    [Fact]
    public void Randn_with_rand_draws_uniforms()
    {
        var path = Path.Combine(_dir, "u.safetensors");
        Assert.Equal(0, Invoke("randn", "--seed", "0", "--shape", "40", "--out", path, "--rand").Exit);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("rand", file.Metadata["distribution"]);
        var values = file.ReadFloat32("values");
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        using var expected = new TorchGenerator(0).Rand(40);
        Assert.Equal(expected.ToArray(), values);
    }

    [Theory]
    [InlineData("1,x")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("65536,65536")]
    public void Randn_rejects_bad_shapes(string shape)
    {
        var (exit, _, error) = Invoke("randn", "--seed", "1", "--shape", shape, "--out", Path.Combine(_dir, "x.safetensors"));
        Assert.Equal(2, exit);
        Assert.StartsWith("error: --shape", error);
    }

    [Fact]
    public void Randn_requires_its_options()
    {
        var (exit, _, error) = Invoke("randn", "--shape", "2");
        Assert.NotEqual(0, exit);
        Assert.Contains("--seed", error);
    }
}
