using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>diffusers <c>TimestepEmbedding</c> (act_fn "silu"): linear_1 → SiLU → linear_2.</summary>
public sealed class TimestepEmbedding : Module
{
    public TimestepEmbedding(WeightCursor w, int inChannels, int timeEmbedDim, int? outDim = null)
    {
        Linear1 = Own(new Linear(w.Push("linear_1"), inChannels, timeEmbedDim));
        Linear2 = Own(new Linear(w.Push("linear_2"), timeEmbedDim, outDim ?? timeEmbedDim));
    }

    public Linear Linear1 { get; }
    public Linear Linear2 { get; }

    /// <summary>[B, in] → [B, out].</summary>
    public Tensor Forward(Tensor sample)
    {
        using var h = Linear1.Forward(sample);
        using var a = F.Silu(h);
        return Linear2.Forward(a);
    }
}
