using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.UNet;

/// <summary>
/// diffusers <c>TextImageProjection</c> (<c>encoder_hid_dim_type="text_image_proj"</c>): the cross-attention context
/// <c>cat([image_embeds(image).reshape(B, 10, D), text_proj(text)], 1)</c> — the 10 image tokens come first.
/// </summary>
public sealed class TextImageProjection : Module
{
    /// <summary>Number of context tokens made from the image embedding (fixed in diffusers).</summary>
    public const int NumImageTextEmbeds = 10;

    public TextImageProjection(WeightCursor w, int textEmbedDim, int imageEmbedDim, int crossAttentionDim)
    {
        CrossAttentionDim = crossAttentionDim;
        ImageEmbeds = Own(new Linear(w.Push("image_embeds"), imageEmbedDim, NumImageTextEmbeds * crossAttentionDim));
        TextProj = Own(new Linear(w.Push("text_proj"), textEmbedDim, crossAttentionDim));
    }

    public int CrossAttentionDim { get; }
    public Linear ImageEmbeds { get; }
    public Linear TextProj { get; }

    /// <summary>text [B, S, text_dim], image [B, image_dim] → [B, 10 + S, cross_attention_dim].</summary>
    public Tensor Forward(Tensor textEmbeds, Tensor imageEmbeds)
    {
        int b = textEmbeds.Size(0);
        using var image = ImageEmbeds.Forward(imageEmbeds);                          // [B, 10·D]
        using var imageTokens = image.Reshape(b, NumImageTextEmbeds, CrossAttentionDim);   // [B, 10, D]
        using var text = TextProj.Forward(textEmbeds);                               // [B, S, D]
        return F.Cat([imageTokens, text], 1);
    }
}

/// <summary>
/// diffusers <c>TextImageTimeEmbedding</c> (<c>addition_embed_type="text_image"</c>):
/// <c>text_norm(text_proj(text_embeds)) + image_proj(image_embeds)</c>, added to the time embedding.
/// </summary>
public sealed class TextImageTimeEmbedding : Module
{
    public TextImageTimeEmbedding(WeightCursor w, int textEmbedDim, int imageEmbedDim, int timeEmbedDim)
    {
        TextProj = Own(new Linear(w.Push("text_proj"), textEmbedDim, timeEmbedDim));
        TextNorm = Own(new LayerNorm(w.Push("text_norm"), timeEmbedDim, 1e-5f));
        ImageProj = Own(new Linear(w.Push("image_proj"), imageEmbedDim, timeEmbedDim));
    }

    public Linear TextProj { get; }
    public LayerNorm TextNorm { get; }
    public Linear ImageProj { get; }

    /// <summary>text [B, text_dim], image [B, image_dim] → [B, time_embed_dim].</summary>
    public Tensor Forward(Tensor textEmbeds, Tensor imageEmbeds)
    {
        using var text = TextProj.Forward(textEmbeds);
        using var timeText = TextNorm.Forward(text);
        using var timeImage = ImageProj.Forward(imageEmbeds);
        return F.Add(timeImage, timeText);
    }
}
