using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>torch.nn.GroupNorm with an affine <c>weight</c> / <c>bias</c> [channels].</summary>
public sealed class GroupNorm : Module
{
    public GroupNorm(WeightCursor w, int groups, int channels, float eps)
    {
        if (groups <= 0 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm {w.Prefix.TrimEnd('.')}: {channels} channels cannot be split into {groups} groups.");
        Groups = groups;
        Channels = channels;
        Eps = eps;
        Weight = Own(w.Get("weight", channels));
        Bias = Own(w.Get("bias", channels));
    }

    public int Groups { get; }
    public int Channels { get; }
    public float Eps { get; }
    public Tensor Weight { get; }   // [C]
    public Tensor Bias { get; }     // [C]

    /// <summary>[N, C, *] → [N, C, *].</summary>
    public Tensor Forward(Tensor x) => F.GroupNorm(x, Groups, Weight, Bias, Eps);
}
