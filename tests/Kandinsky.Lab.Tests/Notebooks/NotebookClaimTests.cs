using System.Globalization;
using System.Text.RegularExpressions;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tests.Visuals;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>
/// The notebooks' markdown points at numbers their cells print instead of asserting outcomes. Each test reads the
/// printed lines of one notebook's run (the run <see cref="NotebookFileTests"/> makes, once per test run), fails when a
/// claim's line is missing, checks that each line's conclusion follows from its own numbers, and where it is cheap
/// recomputes the numbers from the same API with the same seeds.
/// </summary>
[Collection(ConsoleCollection.Name)]
public partial class NotebookClaimTests(MicroLabFixture micro, ITestOutputHelper output) : IClassFixture<MicroLabFixture>
{
    KandinskyLab Lab => micro.Lab;

    [Fact]
    public async Task TextEncodingPrintsTokenCountsTheCutTranslationAndProbeCosines()
    {
        var lines = await Printed("01-text-encoding");

        using var text = Lab.EncodeText("a person with blue hair and brown eyes");
        var clip = text.ClipTokens![0].Tokens;
        var xlmr = text.XlmrTokens![0].Tokens;
        var tokens = Numbers(Line(lines, "Tokens: "));
        Assert.Equal(new[] { clip.Count, clip.Count(t => t.EndsWith("</w>", StringComparison.Ordinal)), xlmr.Count, xlmr.Count(t => t.StartsWith('▁')), clip.Count(t => t == "<unk>"), xlmr.Count(t => t == "<unk>") },
            tokens.Select(n => (int)n).ToArray());

        var longPrompt = string.Join(", ", Enumerable.Repeat("a cartoon face with green hair", 12)) + " and purple eyes";
        using var longText = Lab.EncodeText(longPrompt);
        foreach (var tokenization in new[] { longText.ClipTokens![0], longText.XlmrTokens![0] })
        {
            var line = Line(lines, $"Cut, {tokenization.Kind}: ");
            var n = Numbers(line[..line.IndexOf("characters", StringComparison.Ordinal)]);
            Assert.Equal(tokenization.Ids.Count, (int)n[0]);
            Assert.Equal(Math.Min(75, tokenization.Ids.Count), (int)n[1]);
            Assert.Equal(longPrompt.Length, (int)n[3]);
            var read = longPrompt[..(int)n[2]];
            Assert.Contains(read.Contains("purple") ? "\"purple\" reaches it" : "\"purple\" does not reach it", line);
        }

        var translations = Numbers(Line(lines, "Cosine to \"a person with blue hair\": "));
        using var multi = Lab.EncodeText(["a person with blue hair", "человек с синими волосами", "ein Comic-Gesicht mit blauen Haaren", "a person with brown hair"]);
        for (int i = 1; i <= 3; i++)
            Assert.Equal(ImageEmbedding.Cosine(multi.ClipTextEmbedding(0), multi.ClipTextEmbedding(i)), translations[i - 1], 2e-3);
        Assert.Equal(new[] { translations[0], translations[1] }.Count(c => c > translations[2]), (int)translations[3]);

        var probeLines = lines.Where(l => l.StartsWith("Probes, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, probeLines.Count);
        var probeNames = new[] { "blue eyes", "brown eyes", "green eyes", "blue shirt" };
        var toBlueEyes = new List<double>();
        foreach (var line in probeLines)
        {
            var cosines = probeNames.Select(p => Number(Regex.Match(line, $@"[(;] ?{p} ({NumberPattern})").Groups[1].Value)).ToList();
            Assert.Contains($"nearest \"{probeNames[cosines.IndexOf(cosines.Max())]}\"", line);
            toBlueEyes.Add(cosines[0]);
        }
        var blueEyes = Line(lines, "Cosine to \"blue eyes\": ");
        var pair = Numbers(blueEyes);
        Assert.Equal(toBlueEyes[0], pair[0]);
        Assert.Equal(toBlueEyes[3], pair[1]);
        Assert.Contains(pair[0] > pair[1] ? "is closer to" : "is not closer to", blueEyes);
    }

    [Fact]
    public async Task PriorPrintsWhenThePredictionAndTheNearestProbeSettle()
    {
        var lines = await Printed("02-prior");

        // Recomputed: the notebook's first trajectory, same prompt, steps, guidance and seed.
        using var text = Lab.EncodeText("a person with blue hair");
        using var prior = Lab.Prior(text, new PriorOptions { Steps = 25, GuidanceScale = 4, Seed = 42 });
        var analysis = prior.Analyze(Lab.TextProbes("blue eyes", "brown eyes", "green eyes"));

        var settling = Line(lines, "Settling: ");
        var s = Numbers(settling);
        Assert.Equal(analysis.Steps[0].CosineToFinal, s[0], 2e-3);   // cosine at step 1, then at step 5
        Assert.Equal(5, (int)s[3]);
        Assert.Equal(analysis.Steps[4].CosineToFinal, s[2], 2e-3);
        var settled = analysis.SettledStep();
        Assert.Contains(settled <= 25 ? $"for good from step {settled} of 25." : "not within 0.99 of it before the end", settling);

        var probes = Line(lines, "Probes: ");
        var nearest = analysis.NearestProbes;
        Assert.StartsWith($"Probes: nearest to x̂₀ \"{nearest[0]}\" at step 1 and \"{nearest[^1]}\" at step 25, from step {analysis.NearestProbeSettledStep} on; ", probes);
        var spread = Numbers(probes[probes.IndexOf("spread", StringComparison.Ordinal)..]);
        Assert.Equal(analysis.ProbeSpread[0], spread[0], 2e-3);
        Assert.Equal(analysis.ProbeSpread[^1], spread[2], 2e-3);

        var comparing = Line(lines, "Mean cosine to \"blue eyes\": ");
        var m = Numbers(comparing);
        Assert.Equal(3, m.Count);
        Assert.All(m, c => Assert.InRange(c, -1, 1));
        Assert.Contains(m[0] > m[1] ? "leans to it more than" : "leans to it not more than", comparing);
        Assert.Contains(m[2] < m[0] ? "naming brown eyes lowers it" : "naming brown eyes does not lower it", comparing);
    }

    [Fact]
    public async Task DecodingPrintsWhenReadingsSettleWhatGuidanceChangesAndTheEyesRead()
    {
        var lines = await Printed("03-decoding");

        // std of x_t at step 1 and at step n; cosine of x̂₀ to the last at step 1; within 0.99 from step k of n.
        var latents = Numbers(Line(lines, "Latents: "));
        Assert.Equal(9, latents.Count);
        Assert.Equal(15, (int)latents[3]);
        Assert.Equal(15, (int)latents[8]);
        Assert.True(latents[0] > 0 && latents[2] >= 0, $"standard deviations {latents[0]}, {latents[2]}");
        Assert.InRange(latents[4], -1, 1);
        Assert.InRange((int)latents[7], 1, 15);   // the last x̂₀ is within 0.99 of itself

        var previews = Line(lines, "Previews read ");
        foreach (var attribute in new[] { "hair", "shirt", "eyes" })
        {
            var match = Regex.Match(previews, $@"\b{attribute} ([a-z ]+?) from step (\d+)");
            Assert.True(match.Success, $"no {attribute} reading in: {previews}");
            Assert.Contains(match.Groups[1].Value, PortraitWorld.Attributes[attribute].Append(AttributeReading.NotFound));
            Assert.InRange(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), 1, 15);
        }
        Assert.InRange((int)Numbers(previews[previews.IndexOf("eyes found", StringComparison.Ordinal)..])[0], 1, 16);

        var guidance = Line(lines, "Guidance read: ");
        var reads = Regex.Matches(guidance, @"guidance ([\d.,]+): hair ([a-z ]+), shirt ([a-z ]+?)(?=;)").ToList();
        Assert.Equal(["1", "4", "8"], reads.Select(r => r.Groups[1].Value));
        int both = reads.Count(r => r.Groups[2].Value == "red" && r.Groups[3].Value == "yellow");
        Assert.EndsWith($"; {both} of 3 have both the named red hair and yellow shirt.", guidance);

        var eyes = Line(lines, "Eyes read: ");
        var arms = Regex.Matches(eyes, @"""([^""]+)"": ([a-z ]+), ([a-z ]+) \((\d) of 2 blue\)").ToList();
        Assert.Equal(["a person with blue hair", "a person with blue hair and brown eyes", "a person with brown hair"], arms.Select(a => a.Groups[1].Value));
        foreach (var arm in arms)
            Assert.Equal(new[] { arm.Groups[2].Value, arm.Groups[3].Value }.Count(e => e == "blue"), int.Parse(arm.Groups[4].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task EmbeddingSpacePrintsWhereTheHairChangesAndWhereTheImagesLand()
    {
        var lines = await Printed("04-embedding-space");

        var along = Line(lines, "Along the path: ");
        var points = Regex.Matches(along, @"t = ([\d.,]+): hair ([a-z ]+), eyes ([a-z ]+?)[;.]").ToList();
        var ts = new[] { 0.0, 0.25, 0.5, 0.75, 1.0 };
        Assert.Equal(ts.Select(t => t.ToString("0.00", CultureInfo.CurrentCulture)), points.Select(p => p.Groups[1].Value));
        var hair = points.Select(p => p.Groups[2].Value).ToList();
        var eyes = points.Select(p => p.Groups[3].Value).ToList();
        Assert.All(hair, h => Assert.Contains(h, PortraitWorld.Attributes["hair"].Append(AttributeReading.NotFound)));

        // The change points follow from the readings printed with them.
        var changes = StepStatistics.Changes(hair);
        var expected = changes.Count == 0 ? $"Hair changes: none, it is read as {hair[0]} at every point."
            : $"Hair changes: {changes.Count}, " + string.Join(", ", changes.Select(i => $"between t = {ts[i - 1]:0.00} and {ts[i]:0.00} ({hair[i - 1]} → {hair[i]})")) + ".";
        Assert.Equal(expected, Line(lines, "Hair changes: "));

        int blue = hair.Count(h => h == "blue"), red = hair.Count(h => h == "red");
        int blueBlue = Enumerable.Range(0, 5).Count(i => hair[i] == "blue" && eyes[i] == "blue"), redGreen = Enumerable.Range(0, 5).Count(i => hair[i] == "red" && eyes[i] == "green");
        Assert.Equal($"Eyes by hair: {blue} image(s) read with blue hair, {blueBlue} of them with blue eyes; {red} with red hair, {redGreen} of them with green eyes.",
            Line(lines, "Eyes by hair: "));

        var landed = lines.Where(l => l.StartsWith("Re-embedded, ", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, landed.Count);
        var cosines = landed.Select(l => Numbers(l[l.IndexOf(':', StringComparison.Ordinal)..])).ToList();
        Assert.All(cosines, c => { Assert.Equal(3, c.Count); Assert.All(c, x => Assert.InRange(x, -1, 1)); });
        // At the ends the slerp point is a prior output itself.
        Assert.Equal(1, cosines[0][1], 1e-3);
        Assert.Equal(1, cosines[4][1], 1e-3);
        var nearer = Numbers(Line(lines, "Nearer an end: "));
        int surely = Enumerable.Range(1, 3).Count(i => cosines[i][2] > cosines[i][1]), maybe = Enumerable.Range(1, 3).Count(i => cosines[i][2] >= cosines[i][1]);
        Assert.Equal(3, (int)nearer[1]);
        Assert.InRange((int)nearer[0], surely, maybe);   // printed to 3 decimals: equal-looking pairs may go either way
    }

    [Fact]
    public async Task ConceptBleedPrintsReaderAgreementTheSliderStripAndTheLedgerAtEachStage()
    {
        var lines = await Printed("05-concept-bleed");

        var agree = Line(lines, "Readers agree: ");
        foreach (var attribute in new[] { "eyes", "hair", "shirt" })
        {
            var match = Regex.Match(agree, $@"{attribute} on (\d+) of 4 images");
            Assert.True(match.Success, agree);
            Assert.InRange(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), 0, 4);
        }

        var strip = Line(lines, "Slider strip read: ");
        var images = Regex.Matches(strip, @"(none|slider α=[\d.,]+)\s*: eyes ([a-z ]+), hair ([a-z ]+?)(?=;)").ToList();
        Assert.Equal(4, images.Count);   // plain and three α
        Assert.Equal("none", images[0].Groups[1].Value);
        string plainHair = images[0].Groups[3].Value, plainEyes = images[0].Groups[2].Value;
        Assert.EndsWith($"; the hair is read as the plain image's ({plainHair}) in {images.Skip(1).Count(m => m.Groups[3].Value == plainHair)} of 3 slider images, " +
            $"the eyes as the plain image's ({plainEyes}) in {images.Skip(1).Count(m => m.Groups[2].Value == plainEyes)}.", strip);

        var text = Line(lines, "Measured, text stage ");
        Assert.All(Percentages(text), p => Assert.True(p.Value is 0.0 or 100.0 && double.IsNaN(p.Low), $"a text embedding is one pick: {text}"));
        foreach (var prefix in new[] { "Measured, prior stage ", "Measured, pixels ", "Measured, naming the eye colour: " })
        {
            var line = Line(lines, prefix);
            var shares = Percentages(line);
            Assert.NotEmpty(shares);
            Assert.All(shares, p => Assert.True(p.Low <= p.Value && p.Value <= p.High && p.Low >= 0 && p.High <= 100, $"{p} in: {line}"));
        }
        Assert.Equal(5, Percentages(Line(lines, "Measured, pixels ")).Count);   // plain, three conditions, the control arm
    }

    // ---- reading the printed lines ----------------------------------------------------------------

    async Task<string[]> Printed(string name)
    {
        var run = await NotebookFileTests.RunOnce(name);
        Assert.True(run.Succeeded, $"{name}: {run.Error}");
        var text = string.Concat(run.Executed.Cells.Where(c => c.CellType == "code").SelectMany(c => c.Outputs)
            .Where(o => (string?)o!["output_type"] == "stream").SelectMany(o => o!["text"]!.AsArray().Select(l => (string)l!)));
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        foreach (var line in lines) output.WriteLine(line);
        return lines;
    }

    /// <summary>The one printed line starting with <paramref name="prefix"/>: a claim whose line is missing (or doubled) fails here.</summary>
    static string Line(string[] lines, string prefix)
    {
        var found = lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count == 1, $"expected one printed line starting \"{prefix}\", found {found.Count} among:\n{string.Join('\n', lines)}");
        return found[0];
    }

    const string NumberPattern = @"-?\d+(?:[.,]\d+)?";

    static double Number(string s) => double.Parse(s.Replace(CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator == "," ? "." : ",", CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator),
        NumberStyles.Float, CultureInfo.CurrentCulture);

    /// <summary>Every number in a line, in order, skipping digits inside quoted prompts and the x̂₀ / x_t / ▁ notation.</summary>
    static List<double> Numbers(string line) =>
        [.. NumberRegex().Matches(QuotedRegex().Replace(line, "\"\"")).Select(m => Number(m.Value))];

    /// <summary>The "80% [45–97%]" shares of a line (interval NaN where the line gives none).</summary>
    static List<(double Value, double Low, double High)> Percentages(string line) =>
        [.. PercentRegex().Matches(line).Select(m => (Number(m.Groups[1].Value),
            m.Groups[2].Success ? Number(m.Groups[2].Value) : double.NaN, m.Groups[3].Success ? Number(m.Groups[3].Value) : double.NaN))];

    [GeneratedRegex(@"(?<![\w.,])-?\d+(?:[.,]\d+)?(?![\w])")]
    private static partial Regex NumberRegex();

    [GeneratedRegex(@"""[^""]*""")]
    private static partial Regex QuotedRegex();

    [GeneratedRegex(@"(\d+)%(?: \[(\d+)–(\d+)%\])?")]
    private static partial Regex PercentRegex();
}
