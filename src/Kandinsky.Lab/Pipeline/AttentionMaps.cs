using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Models.UNet;
using Kandinsky.Lab.Tensors.Imaging;
using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Pipeline;

/// <summary>
/// DAAM-style heat maps of a decoder run (<see cref="DecodeOptions.AttentionCapture"/>): for every image and step, how
/// much attention each latent position gives each context key — the 10 image tokens, the 77 text positions — averaged
/// over the heads and added-KV layers (each upsampled to the latent size), and per word of the prompt the sum over
/// its pieces. A map's planes, with the image's own share (<see cref="Self"/>), sum to one at every position.
/// Maps are latent-sized (<see cref="LatentHeight"/> × <see cref="LatentWidth"/>); <see cref="Upsample"/> brings
/// them to the image.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class AttentionMaps
{
    /// <summary>The image tokens come first among the context keys (TextImageProjection).</summary>
    public const int ImageTokenCount = TextImageProjection.NumImageTextEmbeds;

    internal AttentionMaps(AttentionRecording recording, IReadOnlyList<string> labels, IReadOnlyList<Tokenization?> rowTokens, IReadOnlyList<Image> images)
    {
        Recording = recording;
        Labels = labels;
        Tokens = rowTokens;
        Images = images;
        Words = rowTokens.Select(t => t == null ? (IReadOnlyList<PromptWord>)[] : PromptWords.Of(t)).ToList();
    }

    public AttentionRecording Recording { get; }
    /// <summary>Each image's prompt.</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>Each image's prompt tokenization (XLM-R); null where the decoder was given ids only.</summary>
    public IReadOnlyList<Tokenization?> Tokens { get; }
    /// <summary>Each image's prompt words with their pieces.</summary>
    public IReadOnlyList<IReadOnlyList<PromptWord>> Words { get; }
    public IReadOnlyList<Image> Images { get; }
    public int Rows => Labels.Count;
    public int StepCount => Recording.Steps.Count;
    public int LatentHeight => Recording.LatentHeight;
    public int LatentWidth => Recording.LatentWidth;
    public IReadOnlyList<int> Timesteps => Recording.Timesteps;
    /// <summary>Bytes the maps hold: steps × images × (context keys + 1) × latent h × w × 4 (plus the raw captures when kept).</summary>
    public long Bytes => Recording.Bytes;

    /// <summary>The map of context key <paramref name="key"/> (0–9 image tokens, 10 + p text position p) at a step, or the mean over all steps.</summary>
    public float[] Key(int row, int key, int? step = null) => Sum(row, [CheckKey(key)], step);

    /// <summary>Image token <paramref name="index"/> (0–9).</summary>
    public float[] ImageToken(int row, int index, int? step = null) =>
        (uint)index < ImageTokenCount ? Key(row, index, step) : throw new ArgumentOutOfRangeException(nameof(index), index, $"AttentionMaps: image token {index}, expected 0–{ImageTokenCount - 1}.");

    /// <summary>All pieces of <paramref name="word"/> (a truncated word: the pieces that made it into the input).</summary>
    public float[] Word(int row, PromptWord word, int? step = null) => Sum(row, word.InputPositions.Select(p => ImageTokenCount + p).ToArray(), step);

    /// <summary>Every occurrence of the word <paramref name="text"/> of the row's prompt, summed.</summary>
    public float[] Word(int row, string text, int? step = null)
    {
        var matches = PromptWords.Matching(Words[CheckRow(row)], text);
        if (matches.Count == 0)
            throw new ArgumentException($"AttentionMaps: \"{text}\" is not a word of \"{Labels[row]}\" (its words: {string.Join(", ", Words[row].Select(w => $"\"{w.Text}\""))}).", nameof(text));
        return Sum(row, matches.SelectMany(w => w.InputPositions).Distinct().Select(p => ImageTokenCount + p).ToArray(), step);
    }

    /// <summary>The attention the positions keep for the image itself (its own keys together).</summary>
    public float[] Self(int row, int? step = null) => Sum(row, [Recording.ContextTokens], step);

    /// <summary>A latent-sized map bilinearly resized to <paramref name="height"/> × <paramref name="width"/> (an image's size).</summary>
    public float[] Upsample(float[] map, int height, int width) => Resample.Bilinear(map, 1, LatentHeight, LatentWidth, height, width);

    float[] Sum(int row, int[] keys, int? step)
    {
        CheckRow(row);
        int plane = LatentHeight * LatentWidth;
        var result = new float[plane];
        var steps = step is int s ? [Recording.Steps[CheckStep(s)]] : Recording.Steps;
        foreach (var stepMaps in steps)
            foreach (int key in keys)
            {
                var src = stepMaps[row].AsSpan(key * plane, plane);
                for (int i = 0; i < plane; i++) result[i] += src[i];
            }
        if (step == null && steps.Count > 0)
            for (int i = 0; i < plane; i++) result[i] /= steps.Count;
        return result;
    }

    int CheckRow(int row) => (uint)row < Rows ? row : throw new ArgumentOutOfRangeException(nameof(row), row, $"AttentionMaps: image {row}, the run has {Rows}.");
    int CheckStep(int step) => (uint)step < StepCount ? step : throw new ArgumentOutOfRangeException(nameof(step), step, $"AttentionMaps: step {step}, the run has {StepCount}.");
    int CheckKey(int key) => (uint)key <= Recording.ContextTokens ? key : throw new ArgumentOutOfRangeException(nameof(key), key, $"AttentionMaps: key {key}, expected 0–{Recording.ContextTokens}.");

    public override string ToString() =>
        $"AttentionMaps: {Rows} image(s) × {StepCount} steps × {Recording.ContextTokens} context keys ({ImageTokenCount} image tokens + {Recording.ContextTokens - ImageTokenCount} text positions), " +
        $"maps {LatentHeight}x{LatentWidth} over {Recording.Layers.Count} added-KV layers; {Bytes / 1024.0 / 1024.0:0.##} MiB" + (Recording.Raw != null ? " (raw layers and heads kept)" : "") +
        (Recording.Reweight is { } r ? $"; re-weighted {r}" : "");
}
