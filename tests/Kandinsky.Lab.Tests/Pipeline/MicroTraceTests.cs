using Kandinsky.Lab.Parity;
using Kandinsky.Lab.Tensors.IO;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Pipeline;

/// <summary>
/// The Kandinsky-Micro reference traces replayed end to end: our tokenizers must give the recorded ids exactly,
/// and every tensor we compute must match the reference run; what the replay feeds in (the latents and the prior's
/// step noise) is not compared.
/// </summary>
public class MicroTraceTests(ITestOutputHelper output)
{
    /// <summary>The bound for the final image (values in 0…1), applied to every recorded float tensor.</summary>
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
        var tolerance = new Tolerance(Tolerance, 0, false);
        foreach (var (key, value) in ours.Values)
        {
            if (TraceReplay.IsFedIn(key)) { failures.Add($"{key}: fed in from the reference, so it cannot be a check"); continue; }
            if (!reference.Contains(key)) { failures.Add($"{key}: not in the reference trace"); continue; }
            // ids exactly, floats within the bound; NaN or infinity fails (ParityCheck's rule)
            var result = ParityCheck.Compare(key, value, reference, value.Int64 != null ? new Tolerance(0, 0, true) : tolerance);
            if (!result.Passed) failures.Add(result.ToString());
            if (value.Int64 == null) worst.Add((result.MaxAbsError, key));
        }
        foreach (var (diff, key) in worst.OrderByDescending(w => w.Diff).Take(12)) output.WriteLine($"{diff:G3}  {key}");
        failures.AddRange(reference.Names.Where(k => !TraceReplay.IsFedIn(k) && !ours.Values.ContainsKey(k)).Select(k => $"{k}: not computed"));
        Assert.Contains(worst, w => w.Name == "out.image_np");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
