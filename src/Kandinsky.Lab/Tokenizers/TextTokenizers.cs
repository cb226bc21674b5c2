using Kandinsky.Lab.Tokenizers.Clip;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Tokenizers;

/// <summary>Loads either tokenizer from a folder in the Hugging Face layout.</summary>
public static class TextTokenizers
{
    /// <param name="kind">"clip", "xlmr", or null to decide by the files present (vocab.json / sentencepiece.bpe.model).</param>
    public static ITextTokenizer FromFolder(string directory, string? kind = null)
    {
        kind ??= File.Exists(Path.Combine(directory, "vocab.json")) ? "clip"
            : File.Exists(Path.Combine(directory, "sentencepiece.bpe.model")) ? "xlmr"
            : throw new TokenizerFileException(directory,
                "neither vocab.json + merges.txt (CLIP) nor sentencepiece.bpe.model (XLM-R) found; pass the kind explicitly");
        return kind.ToLowerInvariant() switch
        {
            "clip" => ClipTokenizer.FromFolder(directory),
            "xlmr" or "xlm-r" or "xlm-roberta" => XlmRobertaTokenizer.FromFolder(directory),
            _ => throw new ArgumentException($"unknown tokenizer kind \"{kind}\", expected clip or xlmr", nameof(kind)),
        };
    }
}
