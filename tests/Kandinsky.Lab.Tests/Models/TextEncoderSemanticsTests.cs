using Kandinsky.Lab.Models.Checkpoints;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>The README traps of the text encoders, checked on their own.</summary>
public class TextEncoderSemanticsTests
{
    /// <summary>
    /// Deterministic non-trivial weights for a network: built once against an empty store, the missing-key report
    /// gives every key and shape; each tensor is then filled with a smooth pseudo-random pattern.
    /// </summary>
    static DictionaryWeightStore SyntheticWeights(Func<WeightCursor, IDisposable> build)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, shape) in ParameterSpec.Of("probe", build))
        {
            var t = Tensor.Empty(shape);
            var s = t.AsSpan();
            for (int i = 0; i < s.Length; i++) s[i] = MathF.Sin(i * 0.7f + key.Length);
            tensors[key] = t;
        }
        return new DictionaryWeightStore(tensors, "synthetic");
    }

    static MultilingualClip TinyMclip()
    {
        var config = new MultilingualClipConfig
        {
            TransformerDimensions = 8, NumDims = 4, VocabSize = 10, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2,
            IntermediateSize = 8, MaxPositionEmbeddings = 12, TypeVocabSize = 1, PadTokenId = 1,
        };
        var store = SyntheticWeights(w => new MultilingualClip(config, w));
        return WeightCursor.Build(store, "text_encoder", w => new MultilingualClip(config, w));
    }

    [Fact]
    public void XlmRobertaPositionIdsComeFromInputIds()
    {
        using var model = TinyMclip();
        // pads (id 1) get the pad id as position even where the attention mask says 1
        Assert.Equal([2, 3, 1, 4, 1], model.PositionIds(new long[,] { { 0, 5, 1, 2, 1 } }));
    }

    [Fact]
    public void MclipHiddenStatesKeepPaddingPositionsAndPoolingIgnoresThem()
    {
        using var model = TinyMclip();
        using var a = model.Forward(new long[,] { { 0, 5, 2 } }, new long[,] { { 1, 1, 1 } });
        using var b = model.Forward(new long[,] { { 0, 5, 2, 1, 1 } }, new long[,] { { 1, 1, 1, 0, 0 } });
        Assert.Equal([1, 5, 8], b.LastHiddenState.ShapeArray());
        var pa = a.PromptEmbeds.ToArray();
        var pb = b.PromptEmbeds.ToArray();
        for (int i = 0; i < pa.Length; i++) Assert.Equal(pa[i], pb[i], 5);
    }

    [Fact]
    public void ClipPoolingRuleDependsOnEosTokenId()
    {
        var ids = new long[,] { { 0, 9, 5, 7, 7 } };
        Assert.Equal([1], Pool(2, ids));    // legacy: argmax of the ids
        Assert.Equal([3], Pool(7, ids));    // first EOS
    }

    static int[] Pool(int eos, long[,] ids)
    {
        var config = new ClipTextConfig { VocabSize = 10, HiddenSize = 4, IntermediateSize = 4, ProjectionDim = 2, NumHiddenLayers = 1, NumAttentionHeads = 1, MaxPositionEmbeddings = 5, EosTokenId = eos };
        using var model = WeightCursor.Build(SyntheticWeights(w => new ClipTextModelWithProjection(config, w)), "text_encoder", w => new ClipTextModelWithProjection(config, w));
        return model.PooledPositions(ids);
    }
}
