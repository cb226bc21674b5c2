using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Notebooks;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;
using Kandinsky.Lab.Visuals;

namespace Kandinsky.Lab.Tests.Visuals;

public class VisualsTests(MicroLabFixture micro) : IClassFixture<MicroLabFixture>
{
    const string ScriptPrompt = "<script>alert('x')</script> a person with blue hair";
    const string AttributePrompt = "\"><img src=x onerror=alert(1)> a person with red hair";

    KandinskyLab Lab => micro.Lab;

    static JsonObject Json(Figure f) => (JsonObject)JsonNode.Parse(f.ToJson())!;

    [Fact]
    public void EveryResultTypeRendersSafeWellFormedHtmlAndPlainText()
    {
        using var text = Lab.EncodeText([ScriptPrompt, AttributePrompt], [AttributePrompt, ScriptPrompt]);
        using var prior = Lab.Prior(text, new PriorOptions { Steps = 4, GuidanceScale = 4, Seed = 1 });
        using var decoded = Lab.Decode(prior, text, new DecodeOptions { Steps = 3, GuidanceScale = 4, Seed = 1, Width = 64, Height = 64, DecodePreviews = true });
        var probes = Lab.TextProbes(ScriptPrompt, AttributePrompt);
        var space = PriorLatentSpace.Of(Lab.PriorPipeline.Prior);
        var projector = new EmbeddingProjector(title: ScriptPrompt).AddText(text).Add(prior.ImageEmbeds, AttributePrompt, decoded.Images)
            .AddPath(ScriptPrompt, [probes[0].Vector, probes[1].Vector], [ScriptPrompt, AttributePrompt]);
        var objects = new object[]
        {
            text, prior, prior.ImageEmbeds, decoded, new GenerationResult(text, prior, decoded), prior.Analyze(probes, space, row: 1),
            projector, new EmbeddingProjector(3, AttributePrompt).Add(prior.ImageEmbeds).Add(ScriptPrompt, probes[0].Vector),
            new ImageGrid(decoded.Images, [ScriptPrompt, AttributePrompt], title: AttributePrompt), text.Tokens(1),
            new Table("prompt", AttributePrompt) { Caption = ScriptPrompt }.AddRow(ScriptPrompt, AttributePrompt),
            new Figure(ScriptPrompt).AddScatter([1], [2], AttributePrompt, hoverText: [ScriptPrompt]),
        };
        foreach (var o in objects)
        {
            Assert.Contains(o.GetType().GetCustomAttributes(true), a => a.GetType().Name == "TypeFormatterSourceAttribute");
            var bundle = DisplayFormatter.ToMimeBundle(o);
            Assert.True(bundle.ContainsKey(MimeTypes.Html), $"{o.GetType().Name}: no text/html");
            Assert.False(string.IsNullOrWhiteSpace(bundle[MimeTypes.PlainText]), $"{o.GetType().Name}: no text/plain");
            try { HtmlCheck.AssertSafe(bundle[MimeTypes.Html]); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"{o.GetType().Name}: {e.Message}"); }
        }
        // The prompts are shown, encoded, not dropped.
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", LabFormatting.ToHtml(text));
        Assert.Contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;", LabFormatting.ToHtml(decoded));
    }

    [Fact]
    public void TokenTableMarksTheTruncationPoint()
    {
        using var text = Lab.EncodeText([string.Join(", ", Enumerable.Repeat("a cartoon face with green hair", 16)), "a person with blue hair"]);
        var clip = text.ClipTokens![0];
        Assert.True(clip.IsTruncated);
        var doc = HtmlCheck.Parse(TextEncodingView.TokenTable("clip", clip));
        var rows = doc.GetElementsByTagName("tr").Cast<XmlElement>().Skip(1).ToList();   // skip the header
        int cut = rows.FindIndex(r => r.InnerText.Contains("cut here"));
        // begin token, the kept content tokens, the end token, then the cut.
        Assert.Equal(clip.TruncatedAt!.Value + 2, cut);
        Assert.Equal("(end)", rows[cut - 1].ChildNodes[1]!.InnerText);
        Assert.Equal((clip.InputIds.Count - 1).ToString(), rows[cut - 1].ChildNodes[0]!.InnerText);
        var dropped = rows.Skip(cut + 1).Where(r => r.GetAttribute("style").Contains("#aaa")).ToList();
        int droppedCount = clip.Ids.Count - clip.TruncatedAt.Value;
        Assert.True(droppedCount > TextEncodingView.MaxDroppedShown);
        Assert.Equal(TextEncodingView.MaxDroppedShown + 1, dropped.Count);      // the first ones, then a count of the rest
        Assert.Equal(clip.Tokens[clip.TruncatedAt.Value], dropped[0].ChildNodes[1]!.InnerText);
        Assert.Contains($"{droppedCount - TextEncodingView.MaxDroppedShown} more dropped", dropped[^1].InnerText);

        var shortDoc = HtmlCheck.Parse(TextEncodingView.TokenTable("clip", text.ClipTokens[1]));
        Assert.DoesNotContain("cut here", shortDoc.InnerText);
        // Both tokenizers side by side in the dual view.
        var dual = HtmlCheck.Parse(text.Tokens(0).ToHtml());
        Assert.Equal(2, dual.GetElementsByTagName("table").Count);
    }

    [Fact]
    public void PriorAnalysisMapsStepsToClipSpaceAndEndsOnTheFinalEmbedding()
    {
        using var text = Lab.EncodeText("a person with blue hair");
        using var prior = Lab.Prior(text, new PriorOptions { Steps = 6, GuidanceScale = 4, Seed = 3 });
        var probes = Lab.TextProbes("blue eyes", "brown eyes");
        var analysis = prior.Analyze(probes, PriorLatentSpace.Of(Lab.PriorPipeline.Prior));
        Assert.Equal(6, analysis.Steps.Count);
        Assert.Equal(1, analysis.Steps[^1].CosineToFinal, 1e-5);
        // Oracle: the prior's own post_process_latents on a step's x̂₀, compared with the text embedding and a probe.
        using var row = prior.Steps[2].PredOriginal.Select(0, 0);
        using var x0 = row.Unsqueeze(0);
        using var mapped = Lab.PriorPipeline.Prior.PostProcessLatents(x0);
        var expected = mapped.ToArray();
        Assert.Equal(ImageEmbedding.Cosine(expected, text.ClipTextEmbedding(0)), analysis.Steps[2].CosineToText!.Value, 1e-5);
        Assert.Equal(ImageEmbedding.Cosine(expected, probes[1].Vector), analysis.Steps[2].CosineToProbes[1], 1e-5);

        var fig = Json(prior.Plot(probes, PriorLatentSpace.Of(Lab.PriorPipeline.Prior)));
        var data = (JsonArray)fig["data"]!;
        Assert.Equal(2 + probes.Count + 2, data.Count);          // final, text, probes, two norms
        foreach (var trace in data)
        {
            Assert.Equal("scatter", (string?)trace!["type"]);
            Assert.Equal(6, ((JsonArray)trace["x"]!).Count);
            Assert.Equal(6, ((JsonArray)trace["y"]!).Count);
        }
        Assert.Equal("y", (string?)fig["layout"]!["yaxis2"]!["overlaying"]);
        // The trajectory carries its prior's latent space, so the default analysis is the same one.
        var plain = prior.Analyze(probes);
        Assert.True(plain.InClipSpace);
        Assert.Equal(analysis.Steps[2].CosineToText!.Value, plain.Steps[2].CosineToText!.Value, 1e-12);
        Assert.Equal(1, plain.Steps[^1].CosineToFinal, 1e-5);
    }

    [Fact]
    public void ProjectorFiguresHavePlotlyStructure()
    {
        using var text = Lab.EncodeText(["a person with blue hair", "a person with red hair", "a person with green eyes"]);
        using var prior = Lab.Prior(text, new PriorOptions { Steps = 4, GuidanceScale = 4, Seed = 5 });
        var projector = new EmbeddingProjector().AddText(text).Add(prior.ImageEmbeds, "prior")
            .AddPath("path", [prior.ImageEmbeds.Vector(0), prior.ImageEmbeds.Vector(1)]);
        var fig = Json(projector.ToFigure());
        var data = (JsonArray)fig["data"]!;
        Assert.Equal(3, data.Count);                               // two groups and the path
        Assert.Equal(3, ((JsonArray)data[0]!["x"]!).Count);
        Assert.Equal("lines+markers", (string?)data[2]!["mode"]);
        Assert.StartsWith("PC1", (string?)fig["layout"]!["xaxis"]!["title"]!["text"]);
        var coords = projector.Coordinates;
        Assert.Equal(coords[0][0], (double)data[0]!["x"]![0]!, 1e-12);

        var heat = (JsonObject)Json(projector.SimilarityHeatmap())["data"]![0]!;
        Assert.Equal("heatmap", (string?)heat["type"]);
        var z = (JsonArray)heat["z"]!;
        Assert.Equal(6, z.Count);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(1, (double)z[i]![i]!, 1e-6);
            for (int j = 0; j < 6; j++) Assert.Equal((double)z[i]![j]!, (double)z[j]![i]!, 1e-12);
        }

        var three = Json(new EmbeddingProjector(3).Add(prior.ImageEmbeds).AddText(text).ToFigure());
        foreach (var trace in (JsonArray)three["data"]!)
        {
            Assert.Equal("scatter3d", (string?)trace!["type"]);
            Assert.Equal(((JsonArray)trace["x"]!).Count, ((JsonArray)trace["z"]!).Count);
        }
        Assert.NotNull(three["layout"]!["scene"]!["zaxis"]);
        Assert.Throws<ArgumentException>(() => projector.Add("short", new float[3]));
    }

    [Fact]
    public void DecoderViewHasPreviewGridSliderAndLatentStatistics()
    {
        using var text = Lab.EncodeText(["a person with blue hair", "a person with red hair"]);
        using var prior = Lab.Prior(text, new PriorOptions { Steps = 3, GuidanceScale = 4, Seed = 9 });
        using var decoded = Lab.Decode(prior, text, new DecodeOptions { Steps = 5, GuidanceScale = 4, Seed = 9, Width = 64, Height = 64 });
        var html = LabFormatting.ToHtml(decoded);
        var doc = HtmlCheck.Parse(html);
        var slider = doc.GetElementsByTagName("input").Cast<XmlElement>().Single();
        Assert.Equal("range", slider.GetAttribute("type"));
        Assert.Equal("4", slider.GetAttribute("max"));
        var frames = (JsonArray)JsonNode.Parse(Regex.Match(html, @"var frames = (\[.*?\]);").Groups[1].Value)!;
        Assert.Equal(5, frames.Count);
        Assert.All(frames, f => Assert.Equal(2, ((JsonArray)f!).Count));
        Assert.Equal(Png.Encode(decoded.Previews[2][1]), Convert.FromBase64String(((string)frames[2]![1]!)["data:image/png;base64,".Length..]));

        var grid = decoded.PreviewGrid(1, columns: 3);
        Assert.Equal(new[] { decoded.Previews[0][1], decoded.Previews[2][1], decoded.Previews[4][1], decoded.Images[1] }, grid.Images);

        var stats = (JsonArray)Json(decoded.LatentStatistics())["data"]!;
        Assert.Equal(6, stats.Count);
        // Oracle for one point: the standard deviation of step 0's latents computed here.
        var latents = decoded.Steps[0].Latents.ToArray();
        double mean = latents.Average(v => (double)v);
        double std = Math.Sqrt(latents.Sum(v => (v - mean) * (v - mean)) / latents.Length);
        Assert.Equal(std, (double)stats[0]!["y"]![0]!, 1e-6);
    }

    [Theory]
    [InlineData(10, 4, new[] { 0, 3, 6, 9 })]
    [InlineData(3, 8, new[] { 0, 1, 2 })]
    [InlineData(5, 1, new[] { 4 })]
    [InlineData(0, 4, new int[0])]
    public void SpreadStepsKeepsFirstAndLast(int steps, int count, int[] expected) =>
        Assert.Equal(expected, DecoderTrajectoryView.SpreadSteps(steps, count));

    [Fact]
    public void ImageGridOffersPngOnlyForOneImage()
    {
        var red = Image.FromBytes(2, 3, 3, [.. Enumerable.Repeat(new byte[] { 255, 0, 0 }, 6).SelectMany(p => p)]);
        var one = DisplayFormatter.ToMimeBundle(new ImageGrid([red], ["a <b>"]));
        var decodedPng = Png.Decode(Convert.FromBase64String(one[MimeTypes.Png]));
        Assert.Equal((2, 3), (decodedPng.Width, decodedPng.Height));
        Assert.Equal(red.Bytes, decodedPng.Bytes);
        Assert.Contains("a &lt;b&gt;", one[MimeTypes.Html]);
        Assert.False(DisplayFormatter.ToMimeBundle(new ImageGrid([red, red])).ContainsKey(MimeTypes.Png));
        Assert.Throws<ArgumentException>(() => new ImageGrid([red], ["a", "b"]));
    }
}
