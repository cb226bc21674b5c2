using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Models.Clip;
using Kandinsky.Lab.Models.Prior;
using Kandinsky.Lab.Models.TextEncoders;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.Models;

/// <summary>
/// F16 weights are upcast on use: a network built from F16 tensors gives exactly the result of the same network
/// built from those values upcast to F32 (what the golden dtype cases require), for every network of this area.
/// </summary>
public class HalfWeightsTests
{
    static (DictionaryWeightStore Half, DictionaryWeightStore Upcast) Stores(string caseName)
    {
        var dir = Path.Combine(Fixtures.Golden(caseName), "model");
        var file = Directory.GetFiles(dir, "*.safetensors").Single();
        using var st = SafetensorsFile.Open(file);
        var half = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var upcast = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in st.Names)
        {
            using var f32 = st.GetTensorAsFloat32(name);
            half[name] = f32.ToFloat16();
            upcast[name] = half[name].ToFloat32();
        }
        return (new DictionaryWeightStore(half, "half"), new DictionaryWeightStore(upcast, "upcast"));
    }

    static SafetensorsFile Io(string caseName) => SafetensorsFile.Open(Path.Combine(Fixtures.Golden(caseName), "io.safetensors"));

    static long[,] Ids(SafetensorsFile io, string name)
    {
        var shape = io.Info(name).Shape;
        var flat = io.ReadInt64(name);
        var ids = new long[shape[0], shape[1]];
        Buffer.BlockCopy(flat, 0, ids, 0, flat.Length * sizeof(long));
        return ids;
    }

    static void Same(Tensor expected, Tensor actual) => Assert.Equal(expected.ToArray(), actual.ToArray());

    static string Config(string caseName) => Path.Combine(Fixtures.Golden(caseName), "model", "config.json");

    [Fact]
    public void Prior()
    {
        var (half, upcast) = Stores("prior_a");
        var config = ConfigFile.Load<PriorTransformerConfig>(Config("prior_a"));
        using var io = Io("prior_a");
        using var x = io.GetTensorAsFloat32("in.hidden_states");
        using var proj = io.GetTensorAsFloat32("in.proj_embedding");
        using var ehs = io.GetTensorAsFloat32("in.encoder_hidden_states");
        var ids = io.ReadInt64("in.attention_mask");
        var mask = new long[ehs.Size(0), ehs.Size(1)];
        Buffer.BlockCopy(ids, 0, mask, 0, ids.Length * sizeof(long));
        var t = io.ReadInt64("in.timestep");
        using var a = WeightCursor.Build(half, "prior", w => new PriorTransformer(config, w));
        using var b = WeightCursor.Build(upcast, "prior", w => new PriorTransformer(config, w));
        using var ya = a.Forward(x, t, proj, ehs, mask);
        using var yb = b.Forward(x, t, proj, ehs, mask);
        Same(yb, ya);
        using var pa = a.PostProcessLatents(x);
        using var pb = b.PostProcessLatents(x);
        Same(pb, pa);
    }

    [Fact]
    public void ClipVision()
    {
        var (half, upcast) = Stores("clip_vision_a");
        var config = ConfigFile.Load<ClipVisionConfig>(Config("clip_vision_a"));
        using var io = Io("clip_vision_a");
        using var pixels = io.GetTensorAsFloat32("in.pixel_values");
        using var a = WeightCursor.Build(half, "image_encoder", w => new ClipVisionModelWithProjection(config, w));
        using var b = WeightCursor.Build(upcast, "image_encoder", w => new ClipVisionModelWithProjection(config, w));
        using var ya = a.Forward(pixels);
        using var yb = b.Forward(pixels);
        Same(yb.ImageEmbeds, ya.ImageEmbeds);
        Same(yb.LastHiddenState, ya.LastHiddenState);
    }

    [Fact]
    public void ClipText()
    {
        var (half, upcast) = Stores("clip_text_b");
        var config = ConfigFile.Load<ClipTextConfig>(Config("clip_text_b"));
        using var io = Io("clip_text_b");
        var ids = Ids(io, "in.input_ids");
        var mask = Ids(io, "in.attention_mask");
        using var a = WeightCursor.Build(half, "text_encoder", w => new ClipTextModelWithProjection(config, w));
        using var b = WeightCursor.Build(upcast, "text_encoder", w => new ClipTextModelWithProjection(config, w));
        using var ya = a.Forward(ids, mask);
        using var yb = b.Forward(ids, mask);
        Same(yb.TextEmbeds, ya.TextEmbeds);
        Same(yb.LastHiddenState, ya.LastHiddenState);
    }

    [Fact]
    public void MultilingualClipModel()
    {
        var (half, upcast) = Stores("mclip_a");
        var config = ConfigFile.Load<MultilingualClipConfig>(Config("mclip_a"));
        using var io = Io("mclip_a");
        var ids = Ids(io, "in.input_ids");
        var mask = Ids(io, "in.attention_mask");
        using var a = WeightCursor.Build(half, "text_encoder", w => new MultilingualClip(config, w));
        using var b = WeightCursor.Build(upcast, "text_encoder", w => new MultilingualClip(config, w));
        using var ya = a.Forward(ids, mask);
        using var yb = b.Forward(ids, mask);
        Same(yb.PromptEmbeds, ya.PromptEmbeds);
        Same(yb.LastHiddenState, ya.LastHiddenState);
    }
}
