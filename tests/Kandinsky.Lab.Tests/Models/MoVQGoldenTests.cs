using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.MoVQ;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Models;

public class MoVQGoldenTests(ITestOutputHelper output)
{
    [Fact]
    public void DecodeWithoutQuantizationMatchesReference()
    {
        using var golden = new GoldenModule("movq_decode_a");
        using var movq = WeightCursor.Build(golden.Store, "movq", w => new VQModel(ConfigFile.Load<VQModelConfig>(golden.ConfigPath), w));
        using var latents = golden.Input("latents");

        using var image = movq.Decode(latents, forceNotQuantize: true, golden.Trace);

        golden.Check("out.sample", image);
        foreach (var line in golden.Report) output.WriteLine(line);
        golden.AssertPassed();
    }

    [Fact]
    public void EncodeQuantizeDecodeMatchesReference()
    {
        using var golden = new GoldenModule("movq_encode_a");
        using var movq = WeightCursor.Build(golden.Store, "movq", w => new VQModel(ConfigFile.Load<VQModelConfig>(golden.ConfigPath), w));
        using var input = golden.Input("image");

        using var latents = movq.Encode(input, golden.Trace);
        using var quantized = movq.Quantize(latents);
        using var decoded = movq.Decode(latents, forceNotQuantize: false);

        golden.Check("out.latents", latents);
        golden.Check("out.quantized", quantized.Quantized);
        golden.CheckExact("out.indices", quantized.Indices);
        golden.Check("out.decoded_quantized", decoded);
        foreach (var line in golden.Report) output.WriteLine(line);
        golden.AssertPassed();
    }
}
