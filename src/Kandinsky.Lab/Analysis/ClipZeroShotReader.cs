using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>
/// Reads attributes with the checkpoint's own CLIP, zero-shot: the image goes through the prior folder's image
/// encoder (CLIP preprocessing included) and each attribute takes the value whose text probe ("a person with blue
/// eyes", …) has the highest cosine to it. The same probes score the prior's image embeddings and the prompts' CLIP
/// text embeddings, so one set of probes measures all three stages on any Kandinsky 2.1 checkpoint.
/// </summary>
public sealed class ClipZeroShotReader : IAttributeReader
{
    readonly KandinskyLab _lab;
    readonly Dictionary<string, IReadOnlyList<(string Value, float[] Probe)>> _probes = [];

    /// <param name="probe">The probe sentence of an attribute value (default: <see cref="PortraitWorld.Probe"/>).</param>
    public ClipZeroShotReader(KandinskyLab lab, IReadOnlyDictionary<string, IReadOnlyList<string>>? attributes = null, Func<string, string, string>? probe = null)
    {
        _lab = lab;
        Attributes = attributes ?? PortraitWorld.Attributes;
        probe ??= PortraitWorld.Probe;
        var pairs = Attributes.SelectMany(a => a.Value.Select(v => (Attribute: a.Key, Value: v))).ToList();
        using var text = lab.EncodeText(pairs.Select(p => probe(p.Attribute, p.Value)).ToList());
        for (int i = 0; i < pairs.Count; i++)
        {
            var list = (List<(string, float[])>)(_probes.TryGetValue(pairs[i].Attribute, out var l) ? l : _probes[pairs[i].Attribute] = new List<(string, float[])>());
            list.Add((pairs[i].Value, text.ClipTextEmbedding(i)));
        }
    }

    public string Name => "clip";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes { get; }

    /// <summary>The CLIP text embedding of an attribute value's probe.</summary>
    public float[] ProbeEmbedding(string attribute, string value) =>
        Probes(attribute).FirstOrDefault(p => p.Value == value).Probe
        ?? throw new ArgumentException($"ClipZeroShotReader: \"{value}\" is not a value of {attribute} (expected {string.Join(", ", Attributes[attribute])}).", nameof(value));

    /// <summary>The value of <paramref name="attribute"/> whose probe is nearest (cosine) to a CLIP vector (image or text embedding).</summary>
    public string Pick(string attribute, ReadOnlySpan<float> embedding)
    {
        string best = AttributeReading.NotFound;
        double bestCos = double.NegativeInfinity;
        foreach (var (value, p) in Probes(attribute))
        {
            double cos = ImageEmbedding.Cosine(embedding, p);
            if (cos > bestCos) (best, bestCos) = (value, cos);
        }
        return best;
    }

    /// <summary>Reads every attribute from a CLIP vector.</summary>
    public AttributeReading ReadEmbedding(ReadOnlySpan<float> embedding)
    {
        var values = new Dictionary<string, string>();
        foreach (var attribute in Attributes.Keys) values[attribute] = Pick(attribute, embedding);
        return new AttributeReading(values);
    }

    public AttributeReading Read(Image image)
    {
        using var embedding = _lab.EmbedImage(image);
        return ReadEmbedding(embedding.Vector(0));
    }

    IReadOnlyList<(string Value, float[] Probe)> Probes(string attribute) => _probes.TryGetValue(attribute, out var p) ? p
        : throw new ArgumentException($"ClipZeroShotReader: no probes for attribute \"{attribute}\" (has {string.Join(", ", _probes.Keys)}).", nameof(attribute));
}
