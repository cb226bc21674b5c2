using System.Text;
using Kandinsky.Lab.Parity;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>
/// One golden module case (tests/fixtures/golden/&lt;name&gt;): its model folder, inputs, expected outputs and the
/// README's pass rule |ours − golden| ≤ atol + rtol·|golden| with per-tensor tolerances from case.json.
/// Collects every checked tensor so a failure reports all of them (traces first localise the difference).
/// </summary>
internal sealed class GoldenModule : IDisposable
{
    readonly GoldenCaseSpec _spec;
    readonly List<string> _failures = [];

    public GoldenModule(string caseName)
    {
        Dir = Fixtures.Golden(caseName);
        _spec = GoldenCaseSpec.Load(Dir);
        Io = SafetensorsFile.Open(Path.Combine(Dir, "io.safetensors"));
        Store = SafetensorsWeightStore.Open(Path.Combine(Dir, "model"));
    }

    public string Dir { get; }
    public string ConfigPath => Path.Combine(Dir, "model", "config.json");
    public SafetensorsFile Io { get; }
    public SafetensorsWeightStore Store { get; }
    public List<string> Report { get; } = [];

    public Tensor Input(string name) => Io.GetTensorAsFloat32("in." + name);
    public long[] Int64(string name) => Io.ReadInt64(name);

    /// <summary>A trace sink that checks every activation the golden file has a trace.* entry for.</summary>
    public Action<string, Tensor> Trace => (name, t) => { if (Io.Contains("trace." + name)) Check("trace." + name, t); };

    (double atol, double rtol) Tolerance(string name)
    {
        var tolerance = _spec.ToleranceFor(name);
        return (tolerance.Atol, tolerance.Rtol);
    }

    /// <summary>Checks <paramref name="actual"/> against the golden tensor <paramref name="name"/>; returns the worst error / allowed ratio.</summary>
    public double Check(string name, Tensor actual)
    {
        using var expected = Io.GetTensorAsFloat32(name);
        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            _failures.Add($"{name}: shape {actual.ShapeString}, expected {expected.ShapeString}");
            return double.PositiveInfinity;
        }
        var (atol, rtol) = Tolerance(name);
        var e = expected.ToArray();
        var a = actual.ToArray();
        double worst = 0, maxAbs = 0;
        int worstAt = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - e[i]);
            double ratio = double.IsFinite(a[i]) && double.IsFinite(diff) ? diff / (atol + rtol * Math.Abs(e[i])) : double.PositiveInfinity;
            if (ratio > worst) { worst = ratio; worstAt = i; }
            maxAbs = Math.Max(maxAbs, diff);
        }
        var line = $"{name}: max |diff| {maxAbs:G3}, worst error/allowed {worst:F3} (atol {atol:G2}, rtol {rtol:G2})";
        Report.Add(line);
        if (worst > 1) _failures.Add($"{line}; at flat index {worstAt}: ours {a[worstAt]:G9}, golden {e[worstAt]:G9}");
        return worst;
    }

    /// <summary>Checks exact equality of an integer golden tensor.</summary>
    public void CheckExact(string name, long[] actual)
    {
        var expected = Io.ReadInt64(name);
        int mismatches = expected.Length != actual.Length ? -1 : expected.Where((v, i) => v != actual[i]).Count();
        Report.Add($"{name}: {(mismatches == 0 ? "exact" : $"{mismatches} mismatches")}");
        if (mismatches != 0) _failures.Add($"{name}: {(mismatches < 0 ? $"length {actual.Length}, expected {expected.Length}" : $"{mismatches} of {expected.Length} values differ")}");
    }

    /// <summary>Fails with every failing tensor (and the full report) if any check failed.</summary>
    public void AssertPassed()
    {
        if (_failures.Count == 0) return;
        var sb = new StringBuilder($"{Path.GetFileName(Dir)}: {_failures.Count} tensor(s) outside tolerance:\n");
        foreach (var f in _failures) sb.Append("  ").Append(f).Append('\n');
        sb.Append("all checks:\n");
        foreach (var r in Report) sb.Append("  ").Append(r).Append('\n');
        Assert.Fail(sb.ToString());
    }

    public void Dispose()
    {
        Io.Dispose();
        Store.Dispose();
    }
}
