using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Models.Clip;

namespace Kandinsky.Lab.Tests.Models;

public class PilResampleTests
{
    [Fact]
    public void SameSizeIsACopy()
    {
        var pixels = Enumerable.Range(0, 5 * 7 * 3).Select(i => (byte)(i * 37)).ToArray();
        Assert.Equal(pixels, PilResample.Bicubic(pixels, 5, 7, 3, 5, 7));
    }

    [Fact]
    public void ConstantImagesStayConstantForAnySize()
    {
        var sizes = Gen.Choose(1, 40).Four().Select(t => (t.Item1, t.Item2, t.Item3, t.Item4)).ToArbitrary();
        Prop.ForAll(sizes, Gen.Choose(0, 255).ToArbitrary(),
                (size, value) =>
                {
                    var (h, w, oh, ow) = size;
                    var pixels = Enumerable.Repeat((byte)value, h * w * 3).ToArray();
                    return PilResample.Bicubic(pixels, h, w, 3, oh, ow).All(p => p == value);
                })
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void BadSizesAreRejectedWithTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => PilResample.Bicubic(new byte[10], 2, 2, 3, 4, 4));
        Assert.Contains("2x2x3", ex.Message);
    }
}

public class ClipImageProcessorConfigTests
{
    static ClipImageProcessorConfig WithSize(string sizeJson) => new() { Size = System.Text.Json.JsonDocument.Parse(sizeJson).RootElement.Clone() };

    [Fact]
    public void ShortestEdgeKeepsTheAspectRatioTruncatingTheLongSide()
    {
        Assert.Equal((224, 319), WithSize("""{"shortest_edge": 224}""").ResizedSize(180, 257));
        Assert.Equal((54, 40), WithSize("""{"shortest_edge": 40}""").ResizedSize(61, 45));
        Assert.Equal((40, 40), WithSize("40").ResizedSize(7, 7));
    }

    [Fact]
    public void ExactHeightAndWidthAreUsedAsGiven()
    {
        Assert.Equal((30, 50), WithSize("""{"height": 30, "width": 50}""").ResizedSize(180, 257));
    }
}

/// <summary>Bit-exact agreement with Pillow (fixture written by tests/fixtures/pil/make_resize_cases.py with Pillow 9.4).</summary>
public class PilResampleFixtureTests
{
    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases().GetArrayLength(); i++) data.Add(i);
        return data;
    }

    static System.Text.Json.JsonElement Cases()
    {
        var json = File.ReadAllText(Path.Combine(Fixtures.Root, "pil", "resize_cases.json"));
        return System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("cases").Clone();
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void MatchesPillowExactly(int index)
    {
        var c = Cases()[index];
        int h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
        int oh = c.GetProperty("out_height").GetInt32(), ow = c.GetProperty("out_width").GetInt32();
        double? gap = c.GetProperty("reducing_gap").ValueKind == System.Text.Json.JsonValueKind.Null ? null : c.GetProperty("reducing_gap").GetDouble();
        var input = Convert.FromBase64String(c.GetProperty("input").GetString()!);
        var expected = Convert.FromBase64String(c.GetProperty("expected").GetString()!);

        var actual = PilResample.Resize(input, h, w, 3, oh, ow, gap);

        var differing = Enumerable.Range(0, expected.Length).Where(i => actual[i] != expected[i]).ToList();
        if (differing.Count > 0)
            Assert.Fail($"{h}x{w} → {oh}x{ow} (reducing_gap {gap?.ToString() ?? "None"}): {differing.Count} of {expected.Length} bytes differ; " +
                $"first at byte {differing[0]}: ours {actual[differing[0]]}, Pillow {expected[differing[0]]}.");
    }
}
