using System.Xml.Linq;
using Kandinsky.Lab.Tests.Notebooks;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>
/// The slower instruction-set paths on a faster CPU. Tests pick micro-kernels by kind, but much kernel code takes its
/// path from Vector512/Vector256.IsHardwareAccelerated, which only the runtime decides; so the kernel tests run again
/// in a child test run told the faster sets are absent (DOTNET_EnableAVX512F=0, DOTNET_EnableAVX2=0), and pass there.
/// </summary>
public class InstructionSetPathTests(ITestOutputHelper output)
{
    static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    /// <summary>
    /// Kernel tests the child runs skip: thread-count determinism and the largest shapes, whose portable and scalar
    /// kernel rows this run has by kind (they would make a child run on a shared 2-core machine 6 minutes, not 2).
    /// </summary>
    static readonly string[] NotRepeated =
        ["BitIdenticalForOneAndTwoThreads", nameof(AttentionKernelTests.HeadDimensionsBeyondOneScoreBlockMatchTheReference), nameof(GemmKernelTests.BlockBoundaries)];

    [Avx512Fact("this run is the AVX2 path already")]
    public void KernelTestsPassOnTheAvx2Path() => KernelTestsPassWith("avx2", ["DOTNET_EnableAVX512F"], ["avx512"]);

    [Fact]
    public void KernelTestsPassOnThePortablePath() => KernelTestsPassWith("portable", ["DOTNET_EnableAVX512F", "DOTNET_EnableAVX2"], ["avx512", "avx2"]);

    /// <summary>The kernel tests in a child run with <paramref name="disabled"/> set to 0: all pass but the AVX-512 comparisons, which skip.</summary>
    void KernelTestsPassWith(string path, string[] disabled, string[] absentKernels)
    {
        var results = Directory.CreateTempSubdirectory($"isa-{path}-").FullName;
        try
        {
            var run = Jupyter.RunProcess("dotnet",
                ["test", typeof(InstructionSetPathTests).Assembly.Location, "--results-directory", results, "--logger", "trx;LogFileName=kernels.trx",
                 "--filter", $"FullyQualifiedName~{typeof(InstructionSetPathTests).Namespace}.&FullyQualifiedName!~{nameof(InstructionSetPathTests)}"
                     + string.Concat(NotRepeated.Select(name => $"&FullyQualifiedName!~{name}"))],
                Fixtures.RepoRoot, TimeSpan.FromMinutes(15), disabled.ToDictionary(name => name, _ => "0"));
            var tests = XDocument.Load(Path.Combine(results, "kernels.trx")).Descendants(Trx + "UnitTestResult")
                .Select(r => (Name: (string)r.Attribute("testName")!, Outcome: (string)r.Attribute("outcome")!)).ToList();
            output.WriteLine($"{path}: {tests.Count(t => t.Outcome == "Passed")} passed, {tests.Count(t => t.Outcome == "NotExecuted")} skipped");
            Assert.True(run.Exit == 0, $"the {path} run failed:\n{run.Stdout}\n{run.Stderr}");
            Assert.Contains(tests, t => t.Name.Contains(nameof(GemmKernelTests.EveryRowTail), StringComparison.Ordinal) && t.Outcome == "Passed");
            // The switches took effect: only the AVX-512 comparisons were skipped, and no faster kernel was offered.
            Assert.Equal([Name<GemmKernelTests>(nameof(GemmKernelTests.SimdKernelsGiveIdenticalBits)), Name<VectorMathTests>(nameof(VectorMathTests.Exp512GivesTheSameBitsAsExp256))],
                tests.Where(t => t.Outcome != "Passed").Select(t => $"{t.Name} {t.Outcome}").Order(StringComparer.Ordinal));
            Assert.DoesNotContain(tests, t => absentKernels.Any(k => t.Name.Contains(k, StringComparison.OrdinalIgnoreCase)));
        }
        finally { Directory.Delete(results, recursive: true); }
    }

    static string Name<T>(string method) => $"{typeof(T).FullName}.{method} NotExecuted";
}
