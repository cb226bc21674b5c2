using System.Text.Json;
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tests.Pipeline;

namespace Kandinsky.Lab.Tests.Attention;

/// <summary>Attention capture and re-weighting through the stage API and the bleed ledger on the embedded model.</summary>
public sealed class MicroAttentionTests(MicroPipelineTests.Lab lab) : IClassFixture<MicroPipelineTests.Lab>
{
    readonly KandinskyLab _lab = lab.Model;

    DecoderTrajectory Decode(TextEncoding text, PriorTrajectory prior, DecodeOptions? extra = null) =>
        _lab.Decode(prior, text, (extra ?? new DecodeOptions()) with { Steps = 3, Seed = 5 });

    [Fact]
    public void CaptureOffAndOnGiveTheSameImagesAndTheMapsAreWordsOfThePrompt()
    {
        const string prompt = "a person with blue hair, blue eyes 🙂";
        using var text = _lab.EncodeText(prompt);
        using var prior = _lab.Prior(text, new PriorOptions { Steps = 3, Seed = 5, ImagesPerPrompt = 2 });
        using var plain = Decode(text, prior);
        using var captured = Decode(text, prior, new DecodeOptions { AttentionCapture = new() });
        Assert.Null(plain.Attention);
        Assert.Equal(plain.RawImages.ToArray(), captured.RawImages.ToArray());

        var maps = captured.Attention!;
        Assert.Equal(2, maps.Rows);
        Assert.Equal(3, maps.StepCount);
        Assert.Equal(16, maps.LatentHeight);
        Assert.Equal(3L * 2 * (10 + 77 + 1) * 16 * 16 * 4, maps.Bytes);
        Assert.Null(maps.Recording.Raw);
        Assert.Equal(["a", "person", "with", "blue", "hair", ",", "blue", "eyes", "🙂"], maps.Words[0].Select(w => w.Text));

        // Both "blue"s together are the sum of each; each is the sum of its pieces' keys; every position's attention sums to one.
        var first = maps.Word(0, maps.Words[0][3]);
        var second = maps.Word(0, maps.Words[0][6]);
        var both = maps.Word(0, "Blue");
        for (int i = 0; i < both.Length; i++) Assert.Equal(first[i] + second[i], both[i], 1e-6);
        var pieces = maps.Words[0][4].InputPositions.Select(p => maps.Key(0, AttentionMaps.ImageTokenCount + p, step: 1)).ToList();
        var hair = maps.Word(0, "hair", step: 1);
        for (int i = 0; i < hair.Length; i++) Assert.Equal(pieces.Sum(p => p[i]), hair[i], 1e-6);
        for (int step = 0; step < 3; step++)
        {
            var total = new double[16 * 16];
            for (int key = 0; key <= 10 + 77; key++)
            {
                var map = maps.Key(1, key, step);
                for (int i = 0; i < total.Length; i++) total[i] += map[i];
            }
            Assert.All(total, t => Assert.Equal(1.0, t, 1e-5));
        }
        Assert.Equal(64 * 64, maps.Upsample(hair, 64, 64).Length);
        Assert.Throws<ArgumentException>(() => maps.Word(0, "green"));

        var html = LabFormatting.ToHtml(maps);
        Assert.Contains("The 10 image tokens", html);
        Assert.Contains("words (each column on its own scale)", html);
        Assert.Equal(2, html.Split("<div class=\"kl-title\" style=\"font-weight:600;margin:4px 0\">Image ").Length - 1);
    }

    [Fact]
    public void ReweightingAWordAtScaleOneIsThePlainRunAndOtherwiseMovesTheImage()
    {
        using var text = _lab.EncodeText("a person with blue hair");
        using var prior = _lab.Prior(text, new PriorOptions { Steps = 3, Seed = 6 });
        using var plain = Decode(text, prior);
        using var one = Decode(text, prior, new DecodeOptions { AttentionReweight = new() { Word = "blue", Scale = 1 } });
        using var four = Decode(text, prior, new DecodeOptions { AttentionReweight = new() { Word = "blue", Scale = 4 }, AttentionCapture = new() });
        using var inside = Decode(text, prior, new DecodeOptions { AttentionReweight = new() { Word = "blue", Scale = 4, Region = new(0, 0, 1, 0.5f) } });
        Assert.Equal(plain.RawImages.ToArray(), one.RawImages.ToArray());
        Assert.NotEqual(plain.RawImages.ToArray(), four.RawImages.ToArray());
        Assert.NotEqual(four.RawImages.ToArray(), inside.RawImages.ToArray());
        Assert.Equal(4f, four.Options.AttentionReweight!.Scale);
        Assert.Contains("re-weighted \"blue\" ×4", four.Attention!.ToString());

        var missing = Assert.Throws<ArgumentException>(() => Decode(text, prior, new DecodeOptions { AttentionReweight = new() { Word = "green", Scale = 2 } }));
        Assert.Contains("\"green\" is not a word of the prompt", missing.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecodeOptions { AttentionReweight = new() { ImageTokens = true, Scale = -1 } }.Validate());
    }

    [Fact]
    public void TheOptionsRoundTripThroughJsonAsTheRecordKeepsThem()
    {
        var options = new DecodeOptions { Steps = 4, AttentionCapture = new() { KeepRaw = true }, AttentionReweight = new() { Word = "hair", Scale = 0.5f, Region = new(0.1f, 0.2f, 0.6f, 0.9f), Inside = false } };
        var json = JsonSerializer.Serialize(options);
        Assert.Contains("\"attention_reweight\"", json);
        Assert.Equal(options.AttentionReweight, JsonSerializer.Deserialize<DecodeOptions>(json)!.AttentionReweight);
        Assert.DoesNotContain("attention", JsonSerializer.Serialize(new DecodeOptions()));
    }

    [Fact]
    public void TheBleedSweepRunsAttentionReweightingAndScaleOneIsThePlainRun()
    {
        var spec = new BleedSpec
        {
            Questions = [new("eyes", "blue")],
            Arms = [new() { Id = "blue", Prompt = "a person with blue hair" }, new() { Id = "brown", Prompt = "a person with brown hair" }],
            Seeds = [3],
            ImagesPerSeed = 2,
            Prior = new PriorOptions { Steps = 2 },
            Decoder = new DecodeOptions { Steps = 2 },
            StageSwap = false,
            ClipReader = false,
            Interventions = [new AttentionReweightSpec { Word = "blue", Scales = [1, 5], Arms = ["blue"] }],
        }.Validate();
        var ledger = BleedSweep.Run(_lab, spec);
        var plain = ledger.Images[("blue", "none", BleedConditions.Plain)];
        var same = ledger.Images[("blue", "attention \"blue\" ×1", BleedConditions.Plain)];
        var moved = ledger.Images[("blue", "attention \"blue\" ×5", BleedConditions.Plain)];
        for (int i = 0; i < plain.Count; i++) Assert.True(plain[i].Bytes!.AsSpan().SequenceEqual(same[i].Bytes));
        Assert.False(Enumerable.Range(0, plain.Count).All(i => plain[i].Bytes!.AsSpan().SequenceEqual(moved[i].Bytes)));

        var unmatched = Assert.Throws<InvalidDataException>(() => (spec with { Interventions = [new AttentionReweightSpec { Word = "blue", Scales = [2] }] }).Validate("sweep.json"));
        Assert.Contains("arm \"brown\"", unmatched.Message);
        var parsed = JsonSerializer.Deserialize<BleedSpec>(spec.ToJson(), BleedSpec.Json)!;
        Assert.IsType<AttentionReweightSpec>(Assert.Single(parsed.Interventions));
    }
}
