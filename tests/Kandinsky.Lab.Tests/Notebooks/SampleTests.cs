using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>The file-based samples run with `dotnet run FILE` and write the view a notebook cell shows.</summary>
[Collection(ConsoleCollection.Name)]
public class SampleTests
{
    /// <summary>
    /// samples/concept-bleed.cs writes the ConceptBleed view of the same measurement (its prompts, seed and steps,
    /// repeated here) that a notebook cell showing <c>bleed</c> renders: the seeds make it the same HTML, byte for byte.
    /// </summary>
    [Fact]
    public void ConceptBleedSampleWritesTheNotebooksView()
    {
        var report = Path.Combine(Directory.CreateTempSubdirectory("kl-sample-").FullName, "concept-bleed.html");
        var run = Jupyter.RunProcess("dotnet", ["run", "-c", "Release", "samples/concept-bleed.cs", "--", report], Fixtures.RepoRoot, TimeSpan.FromMinutes(10));
        Assert.True(run.Exit == 0, $"dotnet run samples/concept-bleed.cs exited {run.Exit}:\n{BrowserTests.Tail(run.Stdout + run.Stderr)}");
        Assert.Contains($"report: {report}", run.Stdout);

        using var lab = KandinskyLab.Micro();
        var bleed = ConceptBleed.Measure(lab, ["a person with blue hair", "a person with blue hair and brown eyes", "a person with brown hair"], "blue",
            imagesPerPrompt: 4, seed: 1000, priorSteps: 25, decoderSteps: 10);
        var page = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.Contains(LabFormatting.ToHtml(bleed), page);
    }
}
