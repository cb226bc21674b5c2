using System.CommandLine;
using System.Diagnostics;
using Kandinsky.Lab.Models.Checkpoints;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab make-checkpoint --preset kandinsky-2-1|tiny --dtype f16|f32 --out DIR [--seed S]`.</summary>
public static class MakeCheckpointCommand
{
    static readonly Dictionary<string, DType> DTypes = new() { ["f32"] = DType.F32, ["f16"] = DType.F16, ["bf16"] = DType.BF16 };

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Which configuration: {string.Join(", ", Presets.Names)}.", Required = true };
        var dtype = new Option<string>("--dtype") { Description = $"Weight dtype: {string.Join(", ", DTypes.Keys)}.", DefaultValueFactory = _ => "f16" };
        var output = new Option<string>("--out") { Description = "Output folder (gets prior/ and decoder/).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Random seed of the weights.", DefaultValueFactory = _ => 0UL };
        var command = new Command("make-checkpoint", "Write a random-weight Kandinsky 2.1 checkpoint of the true layout and size (for speed and memory work).")
        {
            preset, dtype, output, seed,
        };
        command.SetAction(parse =>
        {
            var weightsDType = DTypes[parse.OneOf(dtype, DTypes.Keys.ToList())];
            var chosen = Presets.ByName(parse.OneOf(preset, Presets.Names));
            var outDir = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"Writing {chosen.Name} ({chosen.Description}) as {weightsDType} to {outDir}");
            var written = RandomCheckpoint.Write(chosen, outDir, weightsDType, parse.GetValue(seed),
                w => Console.WriteLine($"  {Path.GetRelativePath(outDir, w.Path),-60} {w.Tensors,5} tensors {w.Parameters,15:N0} parameters {w.Bytes / 1048576.0,10:N1} MiB"));
            Console.WriteLine($"{written.Sum(w => w.Parameters):N0} parameters, {written.Sum(w => w.Bytes) / 1048576.0:N1} MiB in {clock.Elapsed.TotalSeconds:N1} s");
            return 0;
        });
        return command;
    }
}
