using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public sealed class WeightCursorTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cursor-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Checkpoint()
    {
        var path = Path.Combine(_dir, "diffusion_pytorch_model.safetensors");
        using var w = new SafetensorsWriter()
            .Add("down_blocks.0.conv1.weight", new float[2 * 3 * 3 * 3], 2, 3, 3, 3)
            .Add("down_blocks.0.conv1.bias", new float[] { 1, 2 }, 2)
            .Add("down_blocks.0.norm.weight", new float[4], 4)
            .Add("pooler.dense.weight", new float[1], 1)
            .Add("stray.weight", new float[1], 1);
        w.Save(path);
        return path;
    }

    [Fact]
    public void Reports_missing_unused_and_misshaped_keys_together_with_shapes_and_file()
    {
        var path = Checkpoint();
        using var store = SafetensorsWeightStore.Open(_dir);
        var root = new WeightCursor(store, "unet");
        var block = root.Push("down_blocks").Push(0);
        using (var w = block.Get("conv1.weight", 2, 3, 3, 3)) Assert.Equal([2, 3, 3, 3], w.ShapeArray());
        using (var b = block.GetOptional("conv1.bias", 2)) Assert.Equal(new[] { 1f, 2 }, b!.ToArray());
        Assert.Null(block.GetOptional("conv2.bias", 2));
        using (var n = block.Get("norm.weight", 8)) Assert.Equal([8], n.ShapeArray()); // mis-shaped → zeros of the expected shape
        using (block.Get("conv2.weight", 4, 2)) { }
        root.Ignore("pooler");
        Assert.True(block.Contains("conv1.weight"));
        Assert.False(block.Contains("conv9.weight"));

        var e = Assert.Throws<WeightLoadException>(root.Finish);
        Assert.Equal(["down_blocks.0.conv2.weight (expected [4, 2])"], e.Missing);
        Assert.Equal(["stray.weight"], e.Unused);
        Assert.Single(e.Misshaped);
        Assert.Contains("down_blocks.0.norm.weight: expected [8], found [4]", e.Misshaped[0]);
        Assert.Contains(path, e.Misshaped[0]);
        Assert.Contains($"Weights of unet do not match the checkpoint {path}:", e.Message);
        Assert.Contains("stray.weight (F32 [1])", e.Message);
        Assert.Contains("down_blocks.0.conv2.weight (expected [4, 2])", e.Message);
    }

    [Fact]
    public void Finish_passes_when_everything_matches()
    {
        Checkpoint();
        using var store = SafetensorsWeightStore.Open(_dir);
        var root = new WeightCursor(store, "unet");
        foreach (var key in store.Keys.Where(k => !k.StartsWith("pooler", StringComparison.Ordinal)))
            using (root.Get(key, store.Info(key).Shape.Select(d => (int)d).ToArray())) { }
        root.Ignore("pooler");
        root.Finish();
    }
}
