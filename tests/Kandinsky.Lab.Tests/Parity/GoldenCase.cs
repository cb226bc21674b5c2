using Kandinsky.Lab.Parity;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Parity;

/// <summary>
/// Shared golden-case test helper: lists every case folder, runs them through <see cref="ModuleRunner"/>
/// (or takes outputs produced elsewhere, e.g. by a pipeline) and asserts the README's pass rule on every out.* and
/// on every trace.* both sides have. A failure lists the case, each failing tensor with its max abs error,
/// worst error/allowed ratio and the first values, then every passing one.
/// </summary>
public static class GoldenCase
{
    /// <summary>
    /// The name of every folder under <paramref name="root"/> (default tests/fixtures/golden), sorted: none is left
    /// out, so a folder without case.json or of a kind nothing runs fails by its name instead of vanishing from the suite.
    /// </summary>
    public static string[] Names(string? root = null) =>
        Directory.GetDirectories(root ?? Path.Combine(Fixtures.Root, "golden")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();

    /// <summary><see cref="Names"/> of the fixture cases as theory data.</summary>
    public static TheoryData<string> All() => new(Names());

    /// <summary>Runs <paramref name="caseName"/> with traces through the module runner and asserts that it passes.</summary>
    public static IReadOnlyList<TensorComparison> RunAndAssert(string caseName, ITestOutputHelper? output = null)
    {
        using var outputs = ModuleRunner.Run(Fixtures.Golden(caseName), trace: true);
        return AssertMatches(caseName, outputs, output);
    }

    /// <summary>Asserts that <paramref name="outputs"/> (out.* and optional trace.*) pass the case's tolerances.</summary>
    public static IReadOnlyList<TensorComparison> AssertMatches(string caseName, ModuleOutputs outputs, ITestOutputHelper? output = null)
    {
        var spec = GoldenCaseSpec.Load(Fixtures.Golden(caseName));
        var results = ParityCheck.CompareCase(spec, outputs);
        var report = ParityCheck.Report(spec, results);
        output?.WriteLine(report);
        Assert.True(results.Count > 0, $"{caseName}: the golden file has no out.* tensors to compare.");
        if (results.Any(r => !r.Passed)) Assert.Fail(report);
        return results;
    }
}
