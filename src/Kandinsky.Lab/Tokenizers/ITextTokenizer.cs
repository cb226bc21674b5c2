namespace Kandinsky.Lab.Tokenizers;

/// <summary>What the Kandinsky pipelines need from a tokenizer: ids of a prompt, padded and masked to a fixed length.</summary>
public interface ITextTokenizer
{
    /// <summary>"clip" or "xlmr".</summary>
    string Kind { get; }

    /// <summary>Length of <see cref="Tokenization.InputIds"/> (77 for both Kandinsky 2.1 tokenizers).</summary>
    int MaxLength { get; }

    int BosId { get; }
    int EosId { get; }
    int PadId { get; }
    int VocabSize { get; }

    /// <summary>Tokenizes one prompt the way the pipeline does (special tokens, truncation, padding, mask).</summary>
    Tokenization Encode(string text);
}
