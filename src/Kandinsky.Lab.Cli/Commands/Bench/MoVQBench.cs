using System.CommandLine;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>`kandinsky-lab bench movq --model DIR --size 512`: one MoVQ decode (force_not_quantize, as the pipelines decode).</summary>
public static class MoVQBench
{
    public static Command Create()
    {
        var model = NetworkBench.ModelOption();
        var size = new Option<int>("--size") { Description = "Image side in pixels.", DefaultValueFactory = _ => 512 };
        var runs = NetworkBench.RunsOption();
        var threads = NetworkBench.ThreadCountsOption();
        var profile = NetworkBench.ProfileOption();
        var command = new Command("movq", "Seconds and peak memory of one MoVQ decode.") { model, size, runs, threads, profile };
        command.SetAction(parse =>
        {
            var dir = NetworkBench.FindComponent(parse.GetValue(model)!, "decoder", "movq");
            int pixels = parse.GetValue(size), side = NetworkBench.LatentSide(parse, size, ConfigFile.Load<VQModelConfig>(Path.Combine(dir, "config.json")).ScaleFactor, 1);
            return NetworkBench.Run($"bench movq: {dir}, decode to {pixels}x{pixels}",
                () => VQModel.Load(dir),
                movq =>
                {
                    var latents = NetworkBench.Random(1, 1, movq.Config.EmbedDim, side, side);
                    return () => { using var _ = movq.Decode(latents); };
                },
                NetworkBench.SettingsOf(parse, runs, threads, profile));
        });
        return command;
    }
}
