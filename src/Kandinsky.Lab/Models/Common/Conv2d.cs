using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>torch.nn.Conv2d (groups 1, square kernel): <c>weight</c> [out, in, k, k], optional <c>bias</c> [out].</summary>
public sealed class Conv2d : Module
{
    public Conv2d(WeightCursor w, int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, bool bias = true)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Weight = Own(w.Get("weight", outChannels, inChannels, kernelSize, kernelSize));
        Bias = Own(bias ? w.Get("bias", outChannels) : null);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public Tensor Weight { get; }   // [O, C, k, k]
    public Tensor? Bias { get; }    // [O]

    /// <summary>[N, C, H, W] → [N, O, H', W'].</summary>
    public Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Stride, Padding);
}
