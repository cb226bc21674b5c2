using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public class WeightMemoryTests
{
    [Fact]
    public void MappedWeightsReadTheSameAfterTheirPagesAreReleased()
    {
        var path = Path.Combine(Fixtures.MicroModel, "decoder", "unet", "diffusion_pytorch_model.safetensors");
        using var file = SafetensorsFile.Open(path);
        var name = file.Names.First(n => n.EndsWith("conv1.weight", StringComparison.Ordinal));
        using var weight = file.GetTensor(name);
        var before = weight.ToArray();
        using var x = Tensor.Full(0.5f, 1, weight.Size(1), 8, 8);
        using var y0 = F.Conv2d(x, weight, null, 1, 1);   // packs the weight
        WeightMemory.Release();
        Assert.Equal(before, weight.ToArray());
        using var y1 = F.Conv2d(x, weight, null, 1, 1);   // repacks from the released pages
        Assert.Equal(y0.ToArray(), y1.ToArray());
    }
}
