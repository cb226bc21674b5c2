using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Clip;

/// <summary>The outputs of <see cref="ClipVisionModelWithProjection"/>; the caller disposes them.</summary>
public sealed record ClipVisionOutput(Tensor ImageEmbeds, Tensor LastHiddenState) : ModelOutput(ImageEmbeds, LastHiddenState);

/// <summary>
/// transformers CLIPVisionModelWithProjection: patch conv (kernel = stride = patch_size, no bias), class token first,
/// position embeddings, pre_layrnorm, pre-LN encoder, post_layernorm of the class token, visual_projection (no bias).
/// </summary>
public sealed class ClipVisionModelWithProjection : Module
{
    /// <summary>Weight file name inside a component folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    public ClipVisionModelWithProjection(ClipVisionConfig config, WeightCursor w)
    {
        Config = config.Validate();
        int hidden = config.HiddenSize;
        float eps = (float)config.LayerNormEps;
        var vm = w.Push("vision_model");
        var emb = vm.Push("embeddings");
        ClassEmbedding = Own(emb.Get("class_embedding", hidden));
        PatchEmbedding = Own(new Conv2d(emb.Push("patch_embedding"), config.NumChannels, hidden, config.PatchSize, stride: config.PatchSize, bias: false));
        PositionEmbedding = Own(emb.Push("position_embedding").Get("weight", config.NumPositions, hidden));
        PreLayrnorm = Own(new LayerNorm(vm.Push("pre_layrnorm"), hidden, eps));   // (sic) the checkpoint's spelling
        var layers = vm.Push("encoder").Push("layers");
        Layers = Own(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(i => new ClipEncoderLayer(layers.Push(i), hidden, config.IntermediateSize, config.NumAttentionHeads, eps, config.HiddenAct))
            .ToArray());
        PostLayernorm = Own(new LayerNorm(vm.Push("post_layernorm"), hidden, eps));
        VisualProjection = Own(new Linear(w.Push("visual_projection"), hidden, config.ProjectionDim, bias: false));
    }

    /// <summary>Loads a component folder (config.json + weights), strictly: see <see cref="ComponentLoader"/>.</summary>
    public static ClipVisionModelWithProjection Load(string folder) => ComponentLoader.Load<ClipVisionConfig, ClipVisionModelWithProjection>(folder, (c, w) => new(c, w));


    public ClipVisionConfig Config { get; }
    public Tensor ClassEmbedding { get; }       // [hidden]
    public Conv2d PatchEmbedding { get; }
    public Tensor PositionEmbedding { get; }    // [patches + 1, hidden]
    public LayerNorm PreLayrnorm { get; }
    public ClipEncoderLayer[] Layers { get; }
    public LayerNorm PostLayernorm { get; }
    public Linear VisualProjection { get; }

    /// <summary>
    /// pixel_values [B, C, image_size, image_size] → image_embeds [B, projection_dim] and last_hidden_state [B, patches + 1, hidden]
    /// (encoder output, before post_layernorm). Traces: vision_model.embeddings, vision_model.pre_layrnorm,
    /// vision_model.encoder.layers.i, vision_model.post_layernorm.
    /// </summary>
    public ClipVisionOutput Forward(Tensor pixelValues, Action<string, Tensor>? trace = null)
    {
        int size = Config.ImageSize;
        if (pixelValues.Rank != 4 || pixelValues.Size(1) != Config.NumChannels || pixelValues.Size(2) != size || pixelValues.Size(3) != size)
            throw new ArgumentException($"CLIP vision: pixel_values has shape {pixelValues.ShapeString}, expected [B, {Config.NumChannels}, {size}, {size}].");
        int batch = pixelValues.Size(0), hidden = Config.HiddenSize;

        // 1. patches: conv → [B, hidden, g, g] → [B, g·g, hidden], class token first, + positions
        using var patches = PatchEmbedding.Forward(pixelValues);                 // [B, hidden, g, g]
        using var flat = patches.Flatten(2);                                      // [B, hidden, g·g]
        using var patchTokens = flat.Transpose(1, 2);                             // [B, g·g, hidden]
        using var cls = ClassEmbedding.Reshape(1, 1, hidden);
        using var clsTokens = cls.Expand(batch, 1, hidden);
        using var tokens = F.Cat([clsTokens, patchTokens], 1);                    // [B, g·g + 1, hidden]
        using var embeddings = F.Add(tokens, PositionEmbedding);
        trace?.Invoke("vision_model.embeddings", embeddings);

        // 2. pre_layrnorm, encoder (no mask)
        var h = PreLayrnorm.Forward(embeddings);
        trace?.Invoke("vision_model.pre_layrnorm", h);
        for (int i = 0; i < Layers.Length; i++)
        {
            var next = Layers[i].Forward(h, null);
            h.Dispose();
            h = next;
            trace?.Invoke($"vision_model.encoder.layers.{i}", h);
        }

        // 3. pooled = post_layernorm(class token) → projection
        using var first = h.Select(1, 0);                                         // [B, hidden]
        using var pooled = PostLayernorm.Forward(first);
        trace?.Invoke("vision_model.post_layernorm", pooled);
        return new ClipVisionOutput(VisualProjection.Forward(pooled), h);
    }
}
