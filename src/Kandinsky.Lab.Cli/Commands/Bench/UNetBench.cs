using System.CommandLine;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>
/// `kandinsky-lab bench unet --model DIR --size 512 [--cfg]`: one denoising step of the decoder UNet at an image
/// size (latents size / movq scale factor), batch 2 with classifier-free guidance as the pipeline runs it.
/// </summary>
public static class UNetBench
{
    public static Command Create()
    {
        var model = NetworkBench.ModelOption();
        var size = new Option<int>("--size") { Description = "Image side in pixels (the latents are size / movq scale factor).", DefaultValueFactory = _ => 512 };
        var cfg = new Option<bool>("--cfg") { Description = "Batch 2 (unconditional + conditional), as with guidance > 1." };
        var textTokens = new Option<int>("--tokens") { Description = "Text tokens of the context (the pipeline pads to 77).", DefaultValueFactory = _ => 77 };
        var runs = NetworkBench.RunsOption();
        var threads = NetworkBench.ThreadCountsOption();
        var profile = NetworkBench.ProfileOption();
        var command = new Command("unet", "Seconds and peak memory of one decoder UNet step.") { model, size, cfg, textTokens, runs, threads, profile };
        command.SetAction(parse =>
        {
            var dir = NetworkBench.FindComponent(parse.GetValue(model)!, "decoder", "unet");
            var movqConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dir))!, "movq", "config.json");
            int scale = File.Exists(movqConfig) ? ConfigFile.Load<VQModelConfig>(movqConfig).ScaleFactor : 8;
            int batch = parse.GetValue(cfg) ? 2 : 1, side = NetworkBench.LatentSide(parse, size, scale, batch), tokens = parse.AtLeast(textTokens, 1);
            return NetworkBench.Run($"bench unet: {dir}, batch {batch}, latents {side}x{side} ({side * scale} px), {tokens} text tokens",
                () => UNet2DConditionModel.Load(dir),
                unet =>
                {
                    var c = unet.Config;
                    var sample = NetworkBench.Random(1, batch, c.InChannels, side, side);
                    var hidden = NetworkBench.Random(2, batch, tokens, c.EncoderHidDim!.Value);
                    var text = NetworkBench.Random(3, batch, c.CrossAttentionDim);
                    var image = NetworkBench.Random(4, batch, c.CrossAttentionDim);
                    return () => { using var _ = unet.Forward(sample, [500], hidden, text, image); };
                },
                NetworkBench.SettingsOf(parse, runs, threads, profile));
        });
        return command;
    }
}
