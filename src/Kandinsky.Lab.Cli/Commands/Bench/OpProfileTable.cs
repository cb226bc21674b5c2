using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>One column of an op profile: a thread count or a stage, its wall seconds, and the wall and CPU seconds in each <see cref="OpKind"/> (same scale).</summary>
internal sealed record ProfileColumn(string Title, double Seconds, double[] OpSeconds, double[] OpCpuSeconds)
{
    /// <summary>The column of what <see cref="OpProfile"/> recorded since its last reset, over <paramref name="seconds"/> of wall time.</summary>
    public static ProfileColumn Recorded(string title, double seconds) =>
        new(title, seconds, OpProfile.Totals().Select(t => t.Seconds).ToArray(), OpProfile.Totals().Select(t => t.CpuSeconds).ToArray());
}

/// <summary>
/// Prints op profiles: per op kind (and outside F.*) the wall seconds, their share of the column's wall time and
/// the cores the kind kept busy (process CPU ÷ wall: near the thread count when it scales, near 1 where it serialises).
/// </summary>
internal static class OpProfileTable
{
    /// <summary>With <paramref name="speedup"/>, a last column gives first ÷ last seconds per kind (a kind that does not scale with threads shows there).</summary>
    public static void Print(string heading, IReadOnlyList<ProfileColumn> columns, bool speedup)
    {
        Console.WriteLine($"  {heading}");
        Console.WriteLine($"    {"",-12}{string.Join("", columns.Select(c => $"   {c.Title,23}"))}{(speedup ? "   speedup" : "")}");
        var kinds = Enum.GetValues<OpKind>();
        for (int k = 0; k <= kinds.Length; k++)
        {
            var seconds = columns.Select(c => k < kinds.Length ? c.OpSeconds[k] : Math.Max(0, c.Seconds - c.OpSeconds.Sum())).ToArray();
            var cells = string.Join("", columns.Select((c, i) => $"   {seconds[i],9:F3} s {100 * seconds[i] / c.Seconds,4:F0}% {Cores(c, k),5}"));
            var ratio = speedup && seconds[^1] > 0 ? $"   {seconds[0] / seconds[^1],6:F2}x" : "";
            Console.WriteLine($"    {(k < kinds.Length ? kinds[k].ToString() : "outside F.*"),-12}{cells}{ratio}");
        }

        static string Cores(ProfileColumn c, int k) => k < c.OpSeconds.Length && c.OpSeconds[k] > 0 ? $"{c.OpCpuSeconds[k] / c.OpSeconds[k]:F2}c" : "";
    }
}
