using System.Text.Json;
using Kandinsky.Lab.Tensors;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Rng;

/// <summary>Checks <see cref="TorchGenerator"/> against draws recorded from PyTorch (tests/fixtures/rng/torch_randn.jsonl).</summary>
public class TorchGeneratorTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() =>
        File.ReadLines(Path.Combine(Fixtures.Root, "rng", "torch_randn.jsonl")).Select((line, i) => new object[] { i + 1 });

    static JsonElement Line(int number) =>
        JsonDocument.Parse(File.ReadLines(Path.Combine(Fixtures.Root, "rng", "torch_randn.jsonl")).ElementAt(number - 1)).RootElement;

    static int[] Shape(JsonElement e) => e.EnumerateArray().Select(d => d.GetInt32()).ToArray();
    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(d => d.GetDouble()).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_reference_draw(int line)
    {
        var c = Line(line);
        var kind = c.GetProperty("kind").GetString();
        var g = new TorchGenerator(c.GetProperty("seed").GetUInt64());
        var label = $"line {line}: {kind} seed {c.GetProperty("seed")}";
        switch (kind)
        {
            case "randn":
            {
                using var t = g.Randn(Shape(c.GetProperty("shape")));
                CheckDraw(label, t.ToArray(), c);
                break;
            }
            case "rand":
            {
                using var t = g.Rand(Shape(c.GetProperty("shape")));
                Compare(label, t.ToArray(), Doubles(c.GetProperty("values")));
                break;
            }
            case "randn_sequence":
            {
                var shapes = c.GetProperty("shapes").EnumerateArray().Select(Shape).ToArray();
                var values = c.GetProperty("values").EnumerateArray().Select(Doubles).ToArray();
                Assert.Equal(shapes.Length, values.Length);
                for (int i = 0; i < shapes.Length; i++)
                {
                    using var t = g.Randn(shapes[i]);
                    Compare($"{label} draw {i}", t.ToArray(), values[i]);
                }
                break;
            }
            default:
                throw new InvalidDataException($"{label}: unknown kind '{kind}'.");
        }
    }

    void CheckDraw(string label, float[] actual, JsonElement c)
    {
        if (c.TryGetProperty("values", out var v) && v.ValueKind == JsonValueKind.Array)
        {
            Compare(label, actual, Doubles(v));
            return;
        }
        var head = Doubles(c.GetProperty("head"));
        var tail = Doubles(c.GetProperty("tail"));
        Compare(label + " head", actual[..head.Length], head);
        Compare(label + " tail", actual[^tail.Length..], tail);
        double sum = actual.Sum(x => (double)x), sumsq = actual.Sum(x => (double)x * x);
        Assert.Equal(c.GetProperty("sum").GetDouble(), sum, 1e-6 * actual.Length);
        Assert.Equal(c.GetProperty("sumsq").GetDouble(), sumsq, 1e-6 * actual.Length);
    }

    void Compare(string label, float[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        int bitEqual = 0, worst = -1;
        double worstRel = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (actual[i] == (float)expected[i]) { bitEqual++; continue; }
            double rel = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-30);
            if (rel > worstRel) { worstRel = rel; worst = i; }
        }
        output.WriteLine($"{label}: {bitEqual}/{expected.Length} bit-equal, worst relative error {worstRel:E2}" +
                         (worst >= 0 ? $" at {worst} ({actual[worst]:R} vs {expected[worst]:R})" : ""));
        // Every recorded value is reproduced exactly; the relative error says how far off a regression is.
        if (bitEqual != expected.Length)
            Assert.Fail($"{label}: {expected.Length - bitEqual} of {expected.Length} values differ; value {worst} is {actual[worst]:R}, " +
                        $"expected {expected[worst]:R} (relative error {worstRel:E2}).");
    }
}
