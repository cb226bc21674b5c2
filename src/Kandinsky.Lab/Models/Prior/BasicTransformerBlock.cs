using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Prior;

/// <summary>
/// diffusers BasicTransformerBlock as the prior uses it: pre-LN self-attention (attn1, biases on q/k/v/out) and a
/// GELU feed-forward of 4× width; no cross-attention (norm2 / attn2 absent). Dropout is skipped for inference.
/// </summary>
public sealed class BasicTransformerBlock : Module
{
    public BasicTransformerBlock(WeightCursor w, int dim, int heads, int headDim)
    {
        Heads = heads;
        HeadDim = headDim;
        Norm1 = Own(new LayerNorm(w.Push("norm1"), dim, 1e-5f));
        var attn = w.Push("attn1");
        ToQ = Own(new Linear(attn.Push("to_q"), dim, heads * headDim));
        ToK = Own(new Linear(attn.Push("to_k"), dim, heads * headDim));
        ToV = Own(new Linear(attn.Push("to_v"), dim, heads * headDim));
        ToOut = Own(new Linear(attn.Push("to_out").Push(0), heads * headDim, dim));   // to_out.1 is Dropout
        Norm3 = Own(new LayerNorm(w.Push("norm3"), dim, 1e-5f));
        var ff = w.Push("ff").Push("net");
        FfProj = Own(new Linear(ff.Push(0).Push("proj"), dim, 4 * dim));             // net.0 = GELU(proj)
        FfOut = Own(new Linear(ff.Push(2), 4 * dim, dim));                             // net.1 is Dropout
    }

    public int Heads { get; }
    public int HeadDim { get; }
    public LayerNorm Norm1 { get; }
    public Linear ToQ { get; }
    public Linear ToK { get; }
    public Linear ToV { get; }
    public Linear ToOut { get; }
    public LayerNorm Norm3 { get; }
    public Linear FfProj { get; }
    public Linear FfOut { get; }

    /// <summary>x [B, S, dim], additive mask [B, 1, S, S] or null → [B, S, dim].</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        // 1. self-attention
        using var n1 = Norm1.Forward(x);                                          // [B, S, inner]
        using var q = ToQ.Forward(n1);                                            // [B, S, heads · head_dim]
        using var k = ToK.Forward(n1);
        using var v = ToV.Forward(n1);
        using var a = MultiHeadAttention.Attend(q, k, v, Heads, mask, 1f / MathF.Sqrt(HeadDim));   // [B, S, inner]
        using var attnOut = ToOut.Forward(a);
        using var h = F.Add(attnOut, x);                                          // [B, S, inner]

        // 2. feed-forward
        using var n3 = Norm3.Forward(h);
        using var up = FfProj.Forward(n3);                                        // [B, S, 4 · inner]
        using var act = F.Gelu(up, "none");
        using var down = FfOut.Forward(act);
        return F.Add(down, h);                                                    // [B, S, inner]
    }
}
