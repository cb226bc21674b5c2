using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Pipeline;

/// <summary>MCLIP conditioning of the decoder for some rows: the projected pooled embedding [R, D] and all hidden states [R, 77, H].</summary>
public sealed record DecoderConditioning(Tensor PromptEmbeds, Tensor HiddenStates) : IDisposable
{
    public int Rows => PromptEmbeds.Size(0);

    public DecoderConditioning SelectRows(IReadOnlyList<int> rows)
    {
        var idx = rows.Select(r => (long)r).ToArray();
        return new DecoderConditioning(F.IndexSelect(PromptEmbeds, 0, idx), F.IndexSelect(HiddenStates, 0, idx));
    }

    public void Dispose()
    {
        PromptEmbeds.Dispose();
        HiddenStates.Dispose();
    }
}

/// <summary>
/// What the decoder is conditioned on: the prompts' and the negative prompts' MCLIP (one row per prompt), and the
/// image embeddings with their negatives (one row per image; the rows are shared out evenly over the prompts).
/// </summary>
public sealed record DecoderInputs(DecoderConditioning Prompts, DecoderConditioning Negatives, Tensor ImageEmbeds, Tensor NegativeImageEmbeds)
{
    public int Rows => ImageEmbeds.Size(0);
    /// <summary>The prompts' XLM-R tokenizations, when the text is known: what attention re-weighting finds a word in.</summary>
    public IReadOnlyList<Tokenizers.Tokenization>? PromptTokens { get; init; }
}

/// <summary>Extra UNet input channels of the inpainting UNet: the masked image latents and the mask, [R, 4 + 1, h, w].</summary>
public sealed record InpaintInputs(Tensor MaskedImageLatents, Tensor Mask) : IDisposable
{
    public void Dispose()
    {
        MaskedImageLatents.Dispose();
        Mask.Dispose();
    }
}
