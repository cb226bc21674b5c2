using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Common;

/// <summary>torch.nn.Linear: <c>weight</c> [out, in], optional <c>bias</c> [out]; built from the cursor of its checkpoint name.</summary>
public sealed class Linear : Module
{
    public Linear(WeightCursor w, int inFeatures, int outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Own(w.Get("weight", outFeatures, inFeatures));
        Bias = Own(bias ? w.Get("bias", outFeatures) : null);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }   // [out, in]
    public Tensor? Bias { get; }    // [out]

    /// <summary>[..., in] → [..., out].</summary>
    public Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
