using Kandinsky.Lab.Models.MoVQ;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>
/// Whole networks give the same bits at 1, 2 and 3 threads (the kernel tests check each op; this checks that no
/// layer between them splits a reduction by thread), at the shapes the pipelines run: CFG batch 2.
/// </summary>
public class WholeNetworkThreadTests
{
    static string Component(string pipeline, string name) => Path.Combine(Fixtures.MicroModel, pipeline, name);

    static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, shape);
    }

    [Fact]
    public void UNet_step_is_bit_identical_for_any_thread_count()
    {
        using var unet = UNet2DConditionModel.Load(Component("decoder", "unet"));
        var c = unet.Config;
        using var sample = Random(1, 2, c.InChannels, 24, 24);
        using var hidden = Random(2, 2, 77, c.EncoderHidDim!.Value);
        using var text = Random(3, 2, c.CrossAttentionDim);
        using var image = Random(4, 2, c.CrossAttentionDim);
        Assert.True(ThreadCounts.SameBits(() => unet.Forward(sample, [500], hidden, text, image), 1, 2, 3));
    }

    [Fact]
    public void Prior_step_is_bit_identical_for_any_thread_count()
    {
        using var prior = PriorTransformer.Load(Component("prior", "prior"));
        var c = prior.Config;
        using var hidden = Random(1, 2, c.EmbeddingDim);
        using var proj = Random(2, 2, c.EmbeddingDim);
        using var text = Random(3, 2, c.NumEmbeddings, c.EmbeddingDim);
        var mask = new long[2, c.NumEmbeddings];
        for (int i = 0; i < c.NumEmbeddings - 5; i++) mask[0, i] = mask[1, i] = 1;   // a padded tail, as the tokenizer gives
        Assert.True(ThreadCounts.SameBits(() => prior.Forward(hidden, [500], proj, text, mask), 1, 2, 3));
    }

    [Fact]
    public void MoVQ_decode_is_bit_identical_for_any_thread_count()
    {
        using var movq = VQModel.Load(Component("decoder", "movq"));
        using var latents = Random(1, 1, movq.Config.EmbedDim, 24, 24);
        Assert.True(ThreadCounts.SameBits(() => movq.Decode(latents), 1, 2, 3));
    }
}
