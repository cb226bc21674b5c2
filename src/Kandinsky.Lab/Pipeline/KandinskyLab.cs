using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// Kandinsky 2.1 opened up: load a checkpoint pair (prior + decoder folders in the diffusers layout) or the
/// embedded Kandinsky-Micro, then run the three stages one at a time — <see cref="EncodeText(string, string?)"/>,
/// <see cref="Prior"/>, <see cref="Decode"/> — or all at once with <see cref="Generate"/>. Each stage returns an
/// immutable result that keeps its intermediates and renders itself in a notebook.
/// </summary>
public sealed partial class KandinskyLab : IDisposable
{
    KandinskyLab(string name, PriorPipeline prior, DecoderPipeline decoder)
    {
        Name = name;
        PriorPipeline = prior;
        DecoderPipeline = decoder;
    }

    public string Name { get; }
    public PriorPipeline PriorPipeline { get; }
    public DecoderPipeline DecoderPipeline { get; }
    /// <summary>
    /// Whether each stage gives back its weights' packed copies and resident checkpoint pages when it ends (default on):
    /// at the real size this keeps a whole text-to-image run within the memory of its largest stage, at the price of
    /// repacking the next time a stage runs (about a second per billion parameters).
    /// </summary>
    public bool ReleaseMemoryBetweenStages { get; set; } = true;

    void StageDone()
    {
        if (ReleaseMemoryBetweenStages) WeightMemory.Release();
    }

    /// <summary>The image size the decoder was configured for (512 for Kandinsky 2.1, 64 for Kandinsky-Micro).</summary>
    public int DefaultImageSize => DecoderPipeline.DefaultImageSize;

    /// <summary>
    /// Loads a checkpoint: a folder holding <c>prior/</c> and <c>decoder/</c> pipeline folders (the layout of
    /// <c>make-checkpoint</c> and of the embedded model), or <paramref name="path"/> = the prior folder with
    /// <paramref name="decoderPath"/> the decoder folder (the two published repositories).
    /// </summary>
    public static KandinskyLab Load(string path, string? decoderPath = null)
    {
        string priorPath = path;
        if (decoderPath == null)
        {
            priorPath = Path.Combine(path, "prior");
            decoderPath = Path.Combine(path, "decoder");
            if (!Directory.Exists(priorPath) || !Directory.Exists(decoderPath))
                throw new DirectoryNotFoundException($"{path}: expected prior/ and decoder/ pipeline folders (or call Load(priorFolder, decoderFolder)).");
        }
        var prior = PriorPipeline.Load(priorPath);
        try
        {
            return new KandinskyLab(Path.GetFileName(Path.GetFullPath(path).TrimEnd('/', '\\')), prior, DecoderPipeline.Load(decoderPath));
        }
        catch
        {
            prior.Dispose();
            throw;
        }
    }

    /// <summary>The embedded Kandinsky-Micro (data/kandinsky-micro), found wherever the code runs from.</summary>
    public static KandinskyLab Micro() => Load(MicroPath);

    /// <summary>
    /// Where the embedded model is: beside the library (copied to every build output), in the library's NuGet package
    /// folder (a notebook kernel loads the library from there: lib/TFM/ beside contentFiles/), else data/ above the
    /// working directory.
    /// </summary>
    public static string MicroPath
    {
        get
        {
            var besideLibrary = Path.Combine(AppContext.BaseDirectory, "kandinsky-micro");
            var assemblyDir = Path.GetDirectoryName(typeof(KandinskyLab).Assembly.Location);
            var inPackage = assemblyDir == null ? null : Path.Combine(assemblyDir, "..", "..", "contentFiles", "any", "any", "kandinsky-micro");
            foreach (var candidate in new[] { assemblyDir == null ? null : Path.Combine(assemblyDir, "kandinsky-micro"), inPackage, besideLibrary })
                if (candidate != null && Directory.Exists(Path.Combine(candidate, "prior"))) return Path.GetFullPath(candidate);
            foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
                for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                {
                    var candidate = Path.Combine(d.FullName, "data", "kandinsky-micro");
                    if (Directory.Exists(Path.Combine(candidate, "prior"))) return candidate;
                }
            throw new DirectoryNotFoundException("The embedded Kandinsky-Micro model was not found beside the library, in its package folder, nor in a data/kandinsky-micro folder above the working directory.");
        }
    }

    // ---- stage 1: text ----------------------------------------------------------------------------

    public TextEncoding EncodeText(string prompt, string? negativePrompt = null) =>
        EncodeText([prompt], negativePrompt == null ? null : [negativePrompt]);

    /// <summary>Tokenizes and encodes a batch of prompts (and optional negative prompts, one per prompt) with both encoders.</summary>
    public TextEncoding EncodeText(IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts = null)
    {
        if (prompts.Count == 0) throw new ArgumentException("EncodeText: no prompts given.", nameof(prompts));
        if (negativePrompts != null && negativePrompts.Count != prompts.Count)
            throw new ArgumentException($"EncodeText: {negativePrompts.Count} negative prompts for {prompts.Count} prompts; give one per prompt.", nameof(negativePrompts));
        var clip = PriorPipeline.Tokenize(prompts);
        var clipNeg = negativePrompts == null ? null : PriorPipeline.Tokenize(negativePrompts);
        var clipEmpty = PriorPipeline.Tokenize([""])[0];
        var xlmr = DecoderPipeline.Tokenize(prompts);
        var xlmrNeg = DecoderPipeline.Tokenize(negativePrompts ?? prompts.Select(_ => "").ToList());
        var batches = new TextTokenBatches(
            TokenBatch.From(clip), clipNeg == null ? null : TokenBatch.From(clipNeg), TokenBatch.From([clipEmpty]),
            TokenBatch.From(xlmr), TokenBatch.From(xlmrNeg));
        return EncodeTokens(prompts, negativePrompts, batches, clip, clipNeg, clipEmpty, xlmr, xlmrNeg);
    }

    /// <summary>Encodes given token ids (a parity run or ids from elsewhere); tokenizations are optional labels.</summary>
    public TextEncoding EncodeTokens(IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts, TextTokenBatches tokens,
        IReadOnlyList<Tokenizers.Tokenization>? clipTokens = null, IReadOnlyList<Tokenizers.Tokenization>? clipNegativeTokens = null,
        Tokenizers.Tokenization? clipEmptyTokens = null, IReadOnlyList<Tokenizers.Tokenization>? xlmrTokens = null,
        IReadOnlyList<Tokenizers.Tokenization>? xlmrNegativeTokens = null)
    {
        var clip = PriorPipeline.Encode(tokens.Clip);
        var clipNeg = tokens.ClipNegative == null ? null : PriorPipeline.Encode(tokens.ClipNegative);
        var clipEmpty = PriorPipeline.Encode(tokens.ClipEmpty);
        var mclip = DecoderPipeline.Encode(tokens.Xlmr);
        var mclipNeg = DecoderPipeline.Encode(tokens.XlmrNegative);
        StageDone();
        return new TextEncoding(prompts, negativePrompts, clipTokens, clipNegativeTokens, clipEmptyTokens, xlmrTokens, xlmrNegativeTokens,
            clip, clipNeg, clipEmpty, mclip, mclipNeg);
    }

    public void Dispose()
    {
        PriorPipeline.Dispose();
        DecoderPipeline.Dispose();
    }

    public override string ToString() => $"KandinskyLab \"{Name}\": prior {PriorPipeline.Path}, decoder {DecoderPipeline.Path}";
}

/// <summary>Padded token ids for everything a <see cref="TextEncoding"/> encodes.</summary>
public sealed record TextTokenBatches(TokenBatch Clip, TokenBatch? ClipNegative, TokenBatch ClipEmpty, TokenBatch Xlmr, TokenBatch XlmrNegative);
