using System.CommandLine;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// `kandinsky-lab bench prior --model DIR [--cfg]`: one PriorTransformer step on the full 77-token context with the
/// tokenizer mask, batch 2 with classifier-free guidance as the prior pipeline runs it.
/// </summary>
public static class PriorBench
{
    public static Command Create()
    {
        var model = NetworkBench.ModelOption();
        var cfg = new Option<bool>("--cfg") { Description = "Batch 2 (unconditional + conditional), as with guidance > 1." };
        var runs = NetworkBench.RunsOption();
        var threads = NetworkBench.ThreadCountsOption();
        var profile = NetworkBench.ProfileOption();
        var command = new Command("prior", "Seconds and peak memory of one prior step.") { model, cfg, runs, threads, profile };
        command.SetAction(parse =>
        {
            var dir = NetworkBench.FindComponent(parse.GetValue(model)!, "prior", "prior");
            int batch = parse.GetValue(cfg) ? 2 : 1;
            return NetworkBench.Run($"bench prior: {dir}, batch {batch}",
                () => PriorTransformer.Load(dir),
                prior =>
                {
                    var c = prior.Config;
                    var hidden = NetworkBench.Random(1, batch, c.EmbeddingDim);
                    var proj = NetworkBench.Random(2, batch, c.EmbeddingDim);
                    var text = NetworkBench.Random(3, batch, c.NumEmbeddings, c.EmbeddingDim);
                    var mask = new long[batch, c.NumEmbeddings];                   // every token kept
                    foreach (ref var keep in System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref mask[0, 0], mask.Length)) keep = 1;
                    return () => { using var _ = prior.Forward(hidden, [500], proj, text, mask); };
                },
                NetworkBench.SettingsOf(parse, runs, threads, profile));
        });
        return command;
    }
}
