using System.Text.Json;
using System.Text.Json.Serialization;
using Kandinsky.Lab.Models.Common;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Clip;

/// <summary>preprocessor_config.json of transformers' CLIPImageProcessor, key for key, with the class defaults.</summary>
public sealed record ClipImageProcessorConfig : IConfig<ClipImageProcessorConfig>
{
    [JsonPropertyName("do_resize")] public bool DoResize { get; init; } = true;
    /// <summary><c>{"shortest_edge": n}</c>, <c>{"height": h, "width": w}</c>, or a bare integer (shortest edge) in old configs.</summary>
    [JsonPropertyName("size")] public JsonElement Size { get; init; }
    [JsonPropertyName("resample")] public int Resample { get; init; } = 3;
    [JsonPropertyName("do_center_crop")] public bool DoCenterCrop { get; init; } = true;
    /// <summary><c>{"height": h, "width": w}</c> (or a bare integer in old configs).</summary>
    [JsonPropertyName("crop_size")] public JsonElement CropSize { get; init; }
    [JsonPropertyName("do_rescale")] public bool DoRescale { get; init; } = true;
    [JsonPropertyName("rescale_factor")] public double RescaleFactor { get; init; } = 1.0 / 255;
    [JsonPropertyName("do_normalize")] public bool DoNormalize { get; init; } = true;
    [JsonPropertyName("image_mean")] public double[] ImageMean { get; init; } = [0.48145466, 0.4578275, 0.40821073];
    [JsonPropertyName("image_std")] public double[] ImageStd { get; init; } = [0.26862954, 0.26130258, 0.27577711];
    [JsonPropertyName("do_convert_rgb")] public bool DoConvertRgb { get; init; } = true;

    /// <summary>size.shortest_edge (224 when size is absent), or null when size gives an exact height and width.</summary>
    [JsonIgnore] public int? ShortestEdge => Size.ValueKind == JsonValueKind.Object && !Size.TryGetProperty("shortest_edge", out _) ? null : ReadSize(Size, "shortest_edge", 224, "size");
    [JsonIgnore] public int CropHeight => ReadSize(CropSize, "height", 224, "crop_size");
    [JsonIgnore] public int CropWidth => ReadSize(CropSize, "width", 224, "crop_size");

    /// <summary>The Kandinsky 2.1 prior's image_processor: shortest edge 224, bicubic, centre crop 224, CLIP mean/std.</summary>
    public static ClipImageProcessorConfig Kandinsky21 => new()
    {
        Size = JsonSerializer.SerializeToElement(new { shortest_edge = 224 }),
        CropSize = JsonSerializer.SerializeToElement(new { height = 224, width = 224 }),
    };

    static int ReadSize(JsonElement e, string key, int fallback, string name) => e.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => fallback,
        JsonValueKind.Number => e.GetInt32(),
        JsonValueKind.Object when e.TryGetProperty(key, out var v) => v.GetInt32(),
        _ => throw new InvalidDataException($"preprocessor config: {name} is {e.GetRawText()}, expected an object with \"{key}\" or an integer."),
    };

    public ClipImageProcessorConfig Validate(string source = "preprocessor config")
    {
        if (Resample != 3)
            throw new InvalidDataException($"{source}: resample is {Resample}, expected 3 (PIL bicubic).");
        if (ImageMean.Length != 3 || ImageStd.Length != 3)
            throw new InvalidDataException($"{source}: image_mean has {ImageMean.Length} and image_std {ImageStd.Length} values, expected 3 each (RGB).");
        var (h, w) = ResizedSize(1000, 1000);
        if (h <= 0 || w <= 0 || CropHeight <= 0 || CropWidth <= 0)
            throw new InvalidDataException($"{source}: size {Size.GetRawText()} and crop_size {CropHeight}x{CropWidth} must be positive.");
        return this;
    }

    /// <summary>
    /// The resize target for an image of <paramref name="height"/> x <paramref name="width"/>: the shorter side becomes
    /// shortest_edge and the longer int(shortest_edge · long / short); or size.height x size.width when given.
    /// </summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (ShortestEdge is not int edge) return (ReadSize(Size, "height", 224, "size"), ReadSize(Size, "width", 224, "size"));
        return width <= height ? ((int)((long)edge * height / width), edge) : (edge, (int)((long)edge * width / height));
    }
}

/// <summary>The intermediate images of <see cref="ClipImageProcessor.Preprocess"/> (uint8 [H, W, 3]).</summary>
public sealed record ClipImageProcessorTrace(byte[] Resized, int ResizedHeight, int ResizedWidth, byte[] Cropped, int CroppedHeight, int CroppedWidth);

/// <summary>
/// transformers CLIPImageProcessor for one RGB image: PIL bicubic resize of the shorter side to size.shortest_edge
/// (longer side int(edge · long / short); or to size.height x size.width), centre crop, rescale in float64 → float32, normalise in float32, HWC → CHW.
/// </summary>
public sealed class ClipImageProcessor(ClipImageProcessorConfig config)
{
    public const string ConfigFileName = "preprocessor_config.json";

    public ClipImageProcessorConfig Config { get; } = config.Validate();

    /// <summary>Reads <c>preprocessor_config.json</c> of an image_processor component folder.</summary>
    public static ClipImageProcessor Load(string folder) => new(ConfigFile.Load<ClipImageProcessorConfig>(Path.Combine(folder, ConfigFileName)));

    /// <summary>RGB image bytes [height, width, 3] → pixel_values [1, 3, crop_h, crop_w].</summary>
    public Tensor Preprocess(ReadOnlySpan<byte> rgb, int height, int width) => Preprocess(rgb, height, width, out _);

    public Tensor Preprocess(ReadOnlySpan<byte> rgb, int height, int width, out ClipImageProcessorTrace trace)
    {
        if (height <= 0 || width <= 0 || rgb.Length != height * width * 3)
            throw new ArgumentException($"ClipImageProcessor: {rgb.Length} bytes do not form an RGB image of {height}x{width} (expected {height * width * 3}).");

        // 1. resize: shorter side → shortest_edge, longer side int(edge · long / short)
        byte[] image = rgb.ToArray();
        int h = height, w = width;
        if (Config.DoResize)
        {
            var (outH, outW) = Config.ResizedSize(h, w);
            if (outH != h || outW != w) image = PilResample.Bicubic(image, h, w, 3, outH, outW);
            (h, w) = (outH, outW);
        }
        byte[] resized = image;
        int resizedH = h, resizedW = w;

        // 2. centre crop at top = (H - crop_h) // 2, left = (W - crop_w) // 2
        if (Config.DoCenterCrop)
        {
            int ch = Config.CropHeight, cw = Config.CropWidth;
            if (ch > h || cw > w)
                throw new NotSupportedException($"ClipImageProcessor: crop {ch}x{cw} is larger than the resized image {h}x{w} (padding is not implemented).");
            int top = (h - ch) / 2, left = (w - cw) / 2;
            var cropped = new byte[ch * cw * 3];
            for (int y = 0; y < ch; y++)
                Array.Copy(image, ((top + y) * w + left) * 3, cropped, y * cw * 3, cw * 3);
            (image, h, w) = (cropped, ch, cw);
        }
        trace = new ClipImageProcessorTrace(resized, resizedH, resizedW, image, h, w);

        // 3-4. rescale (float64 product cast to float32), normalise in float32, HWC → CHW
        var pixels = Tensor.Empty(1, 3, h, w);
        var dst = pixels.AsSpan();
        for (int c = 0; c < 3; c++)
        {
            float mean = (float)Config.ImageMean[c], std = (float)Config.ImageStd[c];
            for (int i = 0; i < h * w; i++)
            {
                float v = Config.DoRescale ? (float)(image[i * 3 + c] * Config.RescaleFactor) : image[i * 3 + c];
                if (Config.DoNormalize) v = (v - mean) / std;
                dst[c * h * w + i] = v;
            }
        }
        return pixels;
    }
}
