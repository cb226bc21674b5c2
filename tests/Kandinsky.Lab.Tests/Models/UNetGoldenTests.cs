using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.UNet;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Models;

public class UNetGoldenTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("unet_text_image_a")]
    [InlineData("unet_inpaint_a")]
    public void ForwardMatchesReference(string caseName)
    {
        using var golden = new GoldenModule(caseName);
        var config = ConfigFile.Load<UNet2DConditionConfig>(golden.ConfigPath);
        using var unet = WeightCursor.Build(golden.Store, "unet", w => new UNet2DConditionModel(config, w));
        using var sample = golden.Input("sample");
        using var ehs = golden.Input("encoder_hidden_states");
        using var text = golden.Input("added_cond_kwargs.text_embeds");
        using var image = golden.Input("added_cond_kwargs.image_embeds");
        var timesteps = golden.Int64("in.timestep");

        using var result = unet.Forward(sample, timesteps, ehs, text, image, golden.Trace);

        golden.Check("out.sample", result);
        foreach (var line in golden.Report) output.WriteLine(line);
        golden.AssertPassed();
    }
}
