using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>
/// One added-KV attention call as a hook sees it: the layer's module name ("down_blocks.1.attentions.0"), the
/// spatial size of its queries, its heads, and how many of its keys are context tokens (they come first; the
/// image's own positions follow).
/// </summary>
public readonly record struct AttentionSite(string Layer, int Height, int Width, int Heads, int ContextTokens)
{
    public int Queries => Height * Width;
    public int Keys => ContextTokens + Queries;
}

/// <summary>
/// Looks into (and may edit) the UNet's added-KV attention. Without a hook the attention runs the fused kernel and
/// nothing else. With one, <see cref="ScoreBias"/> may add a bias to the scaled scores before the softmax and
/// <see cref="Observe"/> sees the heads' queries and keys after the call.
/// </summary>
public interface IAttentionHook
{
    /// <summary>An additive bias on the scaled scores that broadcasts to [B, heads, HW, keys], or null for none; the caller disposes it.</summary>
    Tensor? ScoreBias(AttentionSite site);

    /// <summary>q [B, heads, HW, d] and k [B, heads, keys, d] (views, valid during the call), the score scale and the bias used.</summary>
    void Observe(AttentionSite site, Tensor q, Tensor k, float scale, Tensor? bias);
}
