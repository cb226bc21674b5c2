using System.Globalization;
using System.Text;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Parity;

/// <summary>The comparison of one produced tensor with its golden counterpart.</summary>
public sealed record TensorComparison(string Name, bool Passed, Tolerance Tolerance, double MaxAbsError, double WorstRatio, string Detail)
{
    public override string ToString() =>
        $"{(Passed ? "ok  " : "FAIL")} {Name}: max |diff| {MaxAbsError.ToString("G3", CultureInfo.InvariantCulture)}, " +
        $"worst error/allowed {WorstRatio.ToString("F3", CultureInfo.InvariantCulture)} ({Tolerance}){(Detail.Length > 0 ? "; " + Detail : "")}";
}

/// <summary>
/// The golden README's pass rule: every <c>out.*</c> must exist with the golden shape and satisfy
/// |ours - golden| ≤ atol + rtol·|golden| element-wise (finite), or be equal for exact tensors;
/// <c>trace.*</c> tensors are checked the same way when both sides have them.
/// </summary>
public static class ParityCheck
{
    /// <summary>Compares every out.* of the case (missing ones fail) and every trace.* both sides have.</summary>
    public static IReadOnlyList<TensorComparison> CompareCase(GoldenCaseSpec spec, ModuleOutputs outputs)
    {
        using var golden = SafetensorsFile.Open(spec.IoPath);
        var results = new List<TensorComparison>();
        foreach (var name in golden.Names.Where(n => n.StartsWith("trace.", StringComparison.Ordinal) || n.StartsWith("out.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            bool isOut = name.StartsWith("out.", StringComparison.Ordinal);
            if (!outputs.Values.TryGetValue(name, out var ours))
            {
                if (isOut) results.Add(new TensorComparison(name, false, spec.ToleranceFor(name), double.NaN, double.PositiveInfinity, "not produced"));
                continue;
            }
            results.Add(Compare(name, ours, golden, spec.ToleranceFor(name)));
        }
        return results;
    }

    public static TensorComparison Compare(string name, ParityValue ours, SafetensorsFile golden, Tolerance tol)
    {
        var info = golden.Info(name);
        var goldenShape = info.Shape.Select(d => (int)d).ToArray();
        if (!goldenShape.SequenceEqual(ours.Shape))
            return new TensorComparison(name, false, tol, double.NaN, double.PositiveInfinity, $"shape {ours.ShapeString}, golden {info.ShapeString}");
        double[] expected = info.DType switch
        {
            SafetensorsDType.I64 => golden.ReadInt64(name).Select(v => (double)v).ToArray(),
            SafetensorsDType.U8 => golden.ReadUInt8(name).Select(v => (double)v).ToArray(),
            _ => golden.ReadAsFloat32(name).Select(v => (double)v).ToArray(),
        };
        var actual = ours.ToDoubles();
        double maxAbs = 0, worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            // NaN or infinity on either side fails: a NaN ratio would otherwise compare false and pass
            double ratio = !double.IsFinite(actual[i]) || !double.IsFinite(diff) ? double.PositiveInfinity
                : tol.Exact ? (diff == 0 ? 0 : double.PositiveInfinity)
                : diff / (tol.Atol + tol.Rtol * Math.Abs(expected[i]));
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, diff);
            if (ratio > worst || worstAt < 0) { worst = ratio; worstAt = i; }
        }
        bool passed = worst <= 1;
        return new TensorComparison(name, passed, tol, maxAbs, worst, passed ? "" : Describe(actual, expected, worstAt));
    }

    /// <summary>A multi-line report of every comparison, failures first.</summary>
    public static string Report(GoldenCaseSpec spec, IReadOnlyList<TensorComparison> results)
    {
        var sb = new StringBuilder();
        int failed = results.Count(r => !r.Passed);
        sb.Append(spec.Name).Append(" (").Append(spec.Module).Append("): ")
          .Append(failed == 0 ? "all " + results.Count + " tensors pass" : $"{failed} of {results.Count} tensors fail").Append('\n');
        foreach (var r in results.OrderBy(r => r.Passed)) sb.Append("  ").Append(r).Append('\n');
        return sb.ToString();
    }

    static string Describe(double[] actual, double[] expected, int worstAt)
    {
        string F(double v) => v.ToString("G9", CultureInfo.InvariantCulture);
        int n = Math.Min(4, expected.Length);
        var first = string.Join(", ", Enumerable.Range(0, n).Select(i => $"{F(actual[i])} vs {F(expected[i])}"));
        return $"worst at flat index {worstAt}: ours {F(actual[worstAt])}, golden {F(expected[worstAt])}; first values (ours vs golden): {first}";
    }
}
