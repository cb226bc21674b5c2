using Kandinsky.Lab.Parity;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Parity;

/// <summary>
/// Shared golden-case test helper: finds the cases of given module kinds, runs them through <see cref="ModuleRunner"/>
/// (or takes outputs produced elsewhere, e.g. by a pipeline) and asserts the README's pass rule on every out.* and
/// on every trace.* both sides have. A failure lists the case, each failing tensor with its max abs error,
/// worst error/allowed ratio and the first values, then every passing one.
/// </summary>
public static class GoldenCase
{
    /// <summary>Names of the golden cases whose case.json module is one of <paramref name="kinds"/>, sorted.</summary>
    public static TheoryData<string> OfKinds(params string[] kinds)
    {
        var data = new TheoryData<string>();
        var root = Path.Combine(Fixtures.Root, "golden");
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            if (!File.Exists(Path.Combine(dir, "case.json"))) continue;
            if (kinds.Contains(GoldenCaseSpec.Load(dir).Module)) data.Add(Path.GetFileName(dir));
        }
        return data;
    }

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
