using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Visuals;

/// <summary>HTML of a <see cref="TextEncoding"/>: the two tokenizations of every prompt side by side.</summary>
public static class TextEncodingView
{
    public static string Render(TextEncoding text) => Html.Section("Text encoding", Html.Encode(text.ToString()));
}

/// <summary>HTML of an <see cref="ImageEmbedding"/>.</summary>
public static class EmbeddingView
{
    public static string Render(ImageEmbedding e) => Html.Section("Image embedding", Html.Encode(e.ToString()));
}

/// <summary>HTML of a <see cref="PriorTrajectory"/>.</summary>
public static class PriorTrajectoryView
{
    public static string Render(PriorTrajectory p, IReadOnlyList<(string Label, float[] Vector)>? probes) => Html.Section("Prior trajectory", Html.Encode(p.ToString()));
}

/// <summary>HTML of a <see cref="DecoderTrajectory"/>.</summary>
public static class DecoderTrajectoryView
{
    public static string Render(DecoderTrajectory d) => Html.Section("Decoder trajectory", Html.Encode(d.ToString()));
}
