using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>torch.nn.LayerNorm over the last dimension with an affine <c>weight</c> / <c>bias</c> [dim].</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(WeightCursor w, int dim, float eps)
    {
        Dim = dim;
        Eps = eps;
        Weight = Own(w.Get("weight", dim));
        Bias = Own(w.Get("bias", dim));
    }

    public int Dim { get; }
    public float Eps { get; }
    public Tensor Weight { get; }   // [dim]
    public Tensor Bias { get; }     // [dim]

    /// <summary>[..., dim] → [..., dim].</summary>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, Weight, Bias, Eps);
}
