using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Kandinsky.Lab.Tensors.Kernels;

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

    [LinuxFact]
    public unsafe void PackingAMappedWeightDropsItsPagesFromTheResidentSet()
    {
        var path = Path.Combine(Fixtures.MicroModel, "decoder", "unet", "diffusion_pytorch_model.safetensors");
        using var file = SafetensorsFile.Open(path);
        var name = file.Names.Where(n => n.EndsWith("conv2.weight", StringComparison.Ordinal))
            .OrderByDescending(n =>
            {
                using var t = file.GetTensor(n);
                return t.Count;
            }).First();
        using var weight = file.GetTensor(name);
        var before = weight.ToArray(); // every page of the weight is now resident in this mapping
        long pointer = (long)weight.RawPointer, bytes = weight.Count * weight.DType.Size();
        Assert.True(bytes >= 16 * Environment.SystemPageSize, $"{name} is too small ({bytes} bytes) to see its pages go");
        long residentBefore = ProcSelf.MappingRssBytes(pointer);

        ConvKernel.Forget(weight);
        _ = ConvKernel.PackedFor(weight, MicroKernel.Best);

        long dropped = residentBefore - ProcSelf.MappingRssBytes(pointer);
        Assert.True(dropped >= bytes - 2 * Environment.SystemPageSize, $"{name}: {bytes} bytes packed, but only {dropped} resident bytes dropped");
        Assert.Equal(before, weight.ToArray()); // the pages come back from the page cache unchanged
    }
}
