using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>
/// diffusers <c>Attention</c> with <c>added_kv_proj_dim</c> run by <c>AttnAddedKVProcessor</c> — the attention of the
/// SimpleCrossAttn blocks. The image tokens attend to the context tokens and to themselves at once:
/// <code>
/// t = group_norm(x) as [B, HW, C];  q = to_q(t)
/// k = cat([add_k_proj(ctx), to_k(t)], 1);  v = cat([add_v_proj(ctx), to_v(t)], 1)     (context tokens first)
/// out = x + to_out.0(softmax(q kᵀ · d^-½) v)   per head, heads = C / d
/// </code>
/// </summary>
public sealed class AddedKVAttention : Module
{
    /// <summary>The Attention's own GroupNorm eps: the SimpleCrossAttn blocks leave it at its default, not norm_eps.</summary>
    const float GroupNormEps = 1e-5f;

    public AddedKVAttention(WeightCursor w, int channels, int crossAttentionDim, int headDim, int groups)
    {
        Layer = w.Prefix.TrimEnd('.');
        Channels = channels;
        HeadDim = headDim;
        Heads = channels / headDim;
        GroupNorm = Own(new GroupNorm(w.Push("group_norm"), groups, channels, GroupNormEps));
        ToQ = Own(new Linear(w.Push("to_q"), channels, channels));
        ToK = Own(new Linear(w.Push("to_k"), channels, channels));
        ToV = Own(new Linear(w.Push("to_v"), channels, channels));
        AddKProj = Own(new Linear(w.Push("add_k_proj"), crossAttentionDim, channels));
        AddVProj = Own(new Linear(w.Push("add_v_proj"), crossAttentionDim, channels));
        ToOut = Own(new Linear(w.Push("to_out").Push(0), channels, channels));   // to_out.1 is Dropout, skipped for inference
    }

    /// <summary>The module name, as a hook's <see cref="AttentionSite"/> reports it ("mid_block.attentions.0").</summary>
    public string Layer { get; }
    public int Channels { get; }
    public int Heads { get; }
    public int HeadDim { get; }
    public GroupNorm GroupNorm { get; }
    public Linear ToQ { get; }
    public Linear ToK { get; }
    public Linear ToV { get; }
    public Linear AddKProj { get; }
    public Linear AddVProj { get; }
    public Linear ToOut { get; }

    /// <summary>x [B, C, H, W], context [B, S, cross_attention_dim] → [B, C, H, W]; <paramref name="hook"/> may bias and observe the scores.</summary>
    public Tensor Forward(Tensor x, Tensor context, IAttentionHook? hook = null)
    {
        if (x.Rank != 4 || x.Size(1) != Channels)
            throw new ArgumentException($"AddedKVAttention: expected input [B, {Channels}, H, W], got {x.ShapeString}.");
        if (context.Rank != 3 || context.Size(0) != x.Size(0) || context.Size(2) != AddKProj.InFeatures)
            throw new ArgumentException($"AddedKVAttention: expected context [{x.Size(0)}, S, {AddKProj.InFeatures}], got {context.ShapeString}.");
        int b = x.Size(0), c = Channels, h = x.Size(2), w = x.Size(3), l = h * w;

        Tensor q, k, v;
        using (var normed = GroupNorm.Forward(x))                                    // [B, C, H, W]
        using (var flat = normed.Reshape(b, c, l))
        using (var tokens = flat.Transpose(1, 2))                                    // [B, HW, C]
        {
            q = ToQ.Forward(tokens);                                                 // [B, HW, C]
            using var kSelf = ToK.Forward(tokens);
            using var kCtx = AddKProj.Forward(context);                              // [B, S, C]
            k = F.Cat([kCtx, kSelf], 1);                                             // [B, S + HW, C]
            using var vSelf = ToV.Forward(tokens);
            using var vCtx = AddVProj.Forward(context);
            v = F.Cat([vCtx, vSelf], 1);
        }

        Tensor attended;
        float scale = 1f / MathF.Sqrt(HeadDim);
        var site = hook == null ? default : new AttentionSite(Layer, h, w, Heads, context.Size(1));
        using (q) using (k) using (v)
        using (var qh = SplitHeads(q)) using (var kh = SplitHeads(k)) using (var vh = SplitHeads(v))
        using (var bias = hook?.ScoreBias(site))
        {
            using (var o = F.ScaledDotProductAttention(qh, kh, vh, bias, scale: scale))   // [B, heads, HW, d]
            using (var merged = o.Permute(0, 2, 1, 3))                                   // [B, HW, heads, d]
            using (var rows = merged.Reshape(b, l, c))                                   // [B, HW, C]
                attended = ToOut.Forward(rows);
            hook?.Observe(site, qh, kh, scale, bias);
        }

        using (attended)
        using (var channelsFirst = attended.Transpose(1, 2))                         // [B, C, HW]
        using (var image = channelsFirst.Reshape(b, c, h, w))                        // [B, C, H, W]
            return F.Add(image, x);
    }

    /// <summary>[B, L, heads·d] → [B, heads, L, d] (a view).</summary>
    Tensor SplitHeads(Tensor t)
    {
        using var split = t.Reshape(t.Size(0), t.Size(1), Heads, HeadDim);
        return split.Permute(0, 2, 1, 3);
    }
}
