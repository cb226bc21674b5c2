namespace Kandinsky.Lab.Tests.Cli;

[Collection(LiveDisplayCollection.Name)]
public class PipelineBenchTests
{
    [Fact]
    public void Bench_pipeline_times_what_generate_makes_the_same_image()
    {
        var bench = Directory.CreateTempSubdirectory("bench-pipeline").FullName;
        var generate = Directory.CreateTempSubdirectory("generate").FullName;
        try
        {
            string[] settings = ["--seed", "5", "--prior-steps", "2", "--steps", "3"];
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["bench", "pipeline", .. settings, "--runs", "2", "--profile", "--out", bench]));
            Assert.Equal(0, Kandinsky.Lab.Cli.Program.Main(["generate", "a person with blue hair wearing a red shirt", .. settings, "--out", generate]));
            var runs = Directory.GetFiles(bench, "*.png").Order().ToArray();
            Assert.Equal(2, runs.Length);
            var image = File.ReadAllBytes(Path.Combine(generate, "image-5-0.png"));
            Assert.All(runs, r => Assert.Equal(image, File.ReadAllBytes(r)));
        }
        finally
        {
            Directory.Delete(bench, recursive: true);
            Directory.Delete(generate, recursive: true);
        }
    }

    [Theory]
    [InlineData("--model", "/nonexistent/checkpoint")]
    [InlineData("--runs", "0")]
    [InlineData("--steps", "0")]
    public void A_bad_option_exits_2(string option, string value)
    {
        Assert.Equal(2, Kandinsky.Lab.Cli.Program.Main(["bench", "pipeline", option, value, "--out", Path.GetTempPath()]));
    }
}
