using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Parity;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>
/// The config reader takes the bare NaN / Infinity / -Infinity that Python's json.dumps writes (System.Text.Json
/// reads them only quoted), and leaves those words alone inside strings and comments.
/// </summary>
public class ConfigFileLiteralTests
{
    sealed record Probe : IConfig<Probe>
    {
        [JsonPropertyName("low")] public double Low { get; init; }
        [JsonPropertyName("high")] public double High { get; init; }
        [JsonPropertyName("missing")] public double Missing { get; init; }
        [JsonPropertyName("note")] public string Note { get; init; } = "";
        [JsonPropertyName("list")] public double[] List { get; init; } = [];
        public Probe Validate(string source) => this;
    }

    [Fact]
    public void BareLiteralsReadAsNumbers()
    {
        var p = ConfigFile.Parse<Probe>("""{"low": -Infinity, "high": Infinity, "missing": NaN, "list": [1.5, -Infinity,NaN, -2]}""", "probe.json");
        Assert.Equal(double.NegativeInfinity, p.Low);
        Assert.Equal(double.PositiveInfinity, p.High);
        Assert.True(double.IsNaN(p.Missing));
        Assert.Equal([1.5, double.NegativeInfinity, double.NaN, -2], p.List);
    }

    [Fact]
    public void QuotedLiteralsStillRead() =>
        Assert.Equal(double.NegativeInfinity, ConfigFile.Parse<Probe>("""{"low": "-Infinity"}""", "probe.json").Low);

    [Fact]
    public void LiteralsInsideStringsAndCommentsAreLeftAlone()
    {
        const string json = """
            {
              // a comment with a quote " and NaN, -Infinity
              /* and "Infinity" here */
              "note": "NaN -Infinity \"Infinity\" \\",
              "low": -Infinity
            }
            """;
        var p = ConfigFile.Parse<Probe>(json, "probe.json");
        Assert.Equal("NaN -Infinity \"Infinity\" \\", p.Note);
        Assert.Equal(double.NegativeInfinity, p.Low);
    }

    [Fact]
    public void AMisspelledLiteralIsAnErrorNamingTheFile()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ConfigFile.Parse<Probe>("""{"low": -Infinityy}""", "probe.json"));
        Assert.StartsWith("probe.json:", ex.Message);
        Assert.Throws<InvalidDataException>(() => ConfigFile.ParseDocument("""{"low": Inf}""", "doc.json"));
    }

    [Fact]
    public void DocumentsGiveTheLiteralsAsNumbers()
    {
        using var doc = ConfigFile.ParseDocument("""{"a": -Infinity, "b": 2.5, "c": "text"}""", "doc.json");
        Assert.Equal(double.NegativeInfinity, ConfigFile.GetDouble(doc.RootElement.GetProperty("a")));
        Assert.Equal(2.5, ConfigFile.GetDouble(doc.RootElement.GetProperty("b")));
        Assert.Throws<InvalidDataException>(() => ConfigFile.GetDouble(doc.RootElement.GetProperty("c")));
    }

    /// <summary>The golden case as the reference wrote it: call.scheduler_config.lambda_min_clipped is a bare -Infinity.</summary>
    [Fact]
    public void TheGoldenCaseLoaderReadsTheReferencesOwnJson()
    {
        var spec = GoldenCaseSpec.Load(Tests.Fixtures.Golden("scheduler_dpmsolver_a"));
        Assert.Contains("-Infinity", File.ReadAllText(spec.CaseJsonPath));
        Assert.Equal(double.NegativeInfinity, spec.CallDouble("scheduler_config", "lambda_min_clipped"));
    }
}
