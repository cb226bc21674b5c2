using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Clip;

/// <summary>transformers CLIPEncoderLayer: pre-LN self-attention (q/k/v/out_proj with biases, scale d^-0.5) and MLP (fc1 → act → fc2).</summary>
public sealed class ClipEncoderLayer : Module
{
    public ClipEncoderLayer(WeightCursor w, int hidden, int intermediate, int heads, float eps, string hiddenAct)
    {
        Heads = heads;
        HiddenAct = hiddenAct;
        LayerNorm1 = Own(new LayerNorm(w.Push("layer_norm1"), hidden, eps));
        var attn = w.Push("self_attn");
        QProj = Own(new Linear(attn.Push("q_proj"), hidden, hidden));
        KProj = Own(new Linear(attn.Push("k_proj"), hidden, hidden));
        VProj = Own(new Linear(attn.Push("v_proj"), hidden, hidden));
        OutProj = Own(new Linear(attn.Push("out_proj"), hidden, hidden));
        LayerNorm2 = Own(new LayerNorm(w.Push("layer_norm2"), hidden, eps));
        Fc1 = Own(new Linear(w.Push("mlp").Push("fc1"), hidden, intermediate));
        Fc2 = Own(new Linear(w.Push("mlp").Push("fc2"), intermediate, hidden));
    }

    public int Heads { get; }
    public string HiddenAct { get; }
    public LayerNorm LayerNorm1 { get; }
    public Linear QProj { get; }
    public Linear KProj { get; }
    public Linear VProj { get; }
    public Linear OutProj { get; }
    public LayerNorm LayerNorm2 { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    /// <summary>x [B, L, hidden], additive mask broadcastable to [B, H, L, L] or null → [B, L, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var n1 = LayerNorm1.Forward(x);
        using var q = QProj.Forward(n1);
        using var k = KProj.Forward(n1);
        using var v = VProj.Forward(n1);
        using var a = MultiHeadAttention.Attend(q, k, v, Heads, mask, 1f / MathF.Sqrt(x.Size(2) / Heads));
        using var attnOut = OutProj.Forward(a);
        using var h = F.Add(x, attnOut);

        using var n2 = LayerNorm2.Forward(h);
        using var up = Fc1.Forward(n2);
        using var act = Activation.Apply(HiddenAct, up);
        using var down = Fc2.Forward(act);
        return F.Add(h, down);
    }
}
