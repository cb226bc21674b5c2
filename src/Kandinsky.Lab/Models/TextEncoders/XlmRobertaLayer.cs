using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.TextEncoders;

/// <summary>
/// transformers XLMRobertaLayer (post-LN, eager attention): x = LN(x + dense(attn(x))); x = LN(x + dense2(act(dense1(x)))).
/// Dropouts are skipped for inference.
/// </summary>
public sealed class XlmRobertaLayer : Module
{
    public XlmRobertaLayer(WeightCursor w, MultilingualClipConfig config)
    {
        int hidden = config.HiddenSize;
        float eps = (float)config.LayerNormEps;
        Heads = config.NumAttentionHeads;
        HiddenAct = config.HiddenAct;
        var self = w.Push("attention").Push("self");
        Query = Own(new Linear(self.Push("query"), hidden, hidden));
        Key = Own(new Linear(self.Push("key"), hidden, hidden));
        Value = Own(new Linear(self.Push("value"), hidden, hidden));
        var attnOut = w.Push("attention").Push("output");
        AttentionOutputDense = Own(new Linear(attnOut.Push("dense"), hidden, hidden));
        AttentionOutputLayerNorm = Own(new LayerNorm(attnOut.Push("LayerNorm"), hidden, eps));
        IntermediateDense = Own(new Linear(w.Push("intermediate").Push("dense"), hidden, config.IntermediateSize));
        OutputDense = Own(new Linear(w.Push("output").Push("dense"), config.IntermediateSize, hidden));
        OutputLayerNorm = Own(new LayerNorm(w.Push("output").Push("LayerNorm"), hidden, eps));
    }

    public int Heads { get; }
    public string HiddenAct { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear AttentionOutputDense { get; }
    public LayerNorm AttentionOutputLayerNorm { get; }
    public Linear IntermediateDense { get; }
    public Linear OutputDense { get; }
    public LayerNorm OutputLayerNorm { get; }

    /// <summary>x [B, L, hidden], additive key mask [B, 1, 1, L] or null → [B, L, hidden].</summary>
    public Tensor Forward(Tensor x, Tensor? mask)
    {
        using var q = Query.Forward(x);                                           // [B, L, hidden]
        using var k = Key.Forward(x);
        using var v = Value.Forward(x);
        using var a = MultiHeadAttention.Attend(q, k, v, Heads, mask, 1f / MathF.Sqrt(x.Size(2) / Heads));   // [B, L, hidden]
        using var projected = AttentionOutputDense.Forward(a);
        using var residual1 = F.Add(projected, x);
        using var h = AttentionOutputLayerNorm.Forward(residual1);                // [B, L, hidden]

        using var up = IntermediateDense.Forward(h);                              // [B, L, intermediate]
        using var act = Activation.Apply(HiddenAct, up);
        using var down = OutputDense.Forward(act);
        using var residual2 = F.Add(down, h);
        return OutputLayerNorm.Forward(residual2);                                // [B, L, hidden]
    }
}
