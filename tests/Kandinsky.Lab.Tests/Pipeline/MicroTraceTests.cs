using Kandinsky.Lab.Parity;
using Kandinsky.Lab.Tensors.IO;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>
/// The Kandinsky-Micro reference traces replayed end to end: our tokenizers must give the recorded ids exactly,
/// and every tensor we compute must match the reference run.
/// </summary>
public class MicroTraceTests(ITestOutputHelper output)
{
    /// <summary>The issue's bound for the final image (values in 0…1), applied to every recorded float tensor.</summary>
    const double Tolerance = 2e-3;

    public static TheoryData<string> Traces => new(Directory.GetFiles(Fixtures.Path_("micro", "traces"), "*.json").Select(Path.GetFileNameWithoutExtension).Order()!);

    [Theory]
    [MemberData(nameof(Traces))]
    public void ReplayMatchesTheReferenceRun(string name)
    {
        var json = Fixtures.Path_("micro", "traces", name + ".json");
        using var ours = TraceReplay.Run(json, Fixtures.MicroModel);
        using var reference = SafetensorsFile.Open(Path.ChangeExtension(json, ".safetensors"));
        var failures = new List<string>();
        var worst = new List<(double Diff, string Name)>();
        foreach (var (key, value) in ours.Values)
        {
            if (!reference.Contains(key)) { failures.Add($"{key}: not in the reference trace"); continue; }
            var shape = reference.Info(key).Shape.Select(d => (int)d).ToArray();
            if (!shape.SequenceEqual(value.Shape)) { failures.Add($"{key}: shape {value.ShapeString}, reference [{string.Join(", ", shape)}]"); continue; }
            if (value.Int64 != null)
            {
                if (!reference.ReadInt64(key).SequenceEqual(value.Int64)) failures.Add($"{key}: ids differ from the reference");
                continue;
            }
            var expected = reference.ReadAsFloat32(key);
            var actual = value.ToDoubles();
            double diff = expected.Select((e, i) => Math.Abs(e - actual[i])).DefaultIfEmpty(0).Max();
            worst.Add((diff, key));
        }
        foreach (var (diff, key) in worst.OrderByDescending(w => w.Diff).Take(12)) output.WriteLine($"{diff:G3}  {key}");
        failures.AddRange(worst.Where(w => !(w.Diff <= Tolerance)).Select(w => $"{w.Name}: max |diff| {w.Diff:G3} > {Tolerance}"));
        failures.AddRange(reference.Names.Where(k => !k.StartsWith("in.", StringComparison.Ordinal) && !ours.Values.ContainsKey(k)).Select(k => $"{k}: not computed"));
        Assert.Contains(worst, w => w.Name == "out.image_np");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
