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
        var config = UNet2DConditionConfig.Load(golden.ConfigPath);
        using var unet = UNet2DConditionModel.Load(golden.Store, config);
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
