using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>The value read for each attribute of one image ("eyes" → "blue"); <see cref="NotFound"/> where it could not be read.</summary>
public sealed record AttributeReading(IReadOnlyDictionary<string, string> Values)
{
    public const string NotFound = "not found";

    public string this[string attribute] => Values.TryGetValue(attribute, out var v) ? v
        : throw new KeyNotFoundException($"AttributeReading: no attribute \"{attribute}\" (read: {string.Join(", ", Values.Keys)}).");
}

/// <summary>
/// Reads attributes (eye, hair, shirt colour …) back from generated images, so a bleed experiment can count them.
/// <see cref="PortraitReader"/> reads the portrait world's pixels; <see cref="ClipZeroShotReader"/> asks the
/// checkpoint's own CLIP and so works on any model.
/// </summary>
public interface IAttributeReader
{
    /// <summary>A short name for tables ("pixels", "clip").</summary>
    string Name { get; }
    /// <summary>The attributes it reads and the values each can take.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes { get; }
    AttributeReading Read(Image image);
}

/// <summary>The portrait world of Kandinsky-Micro's training data (its data card): the attributes and their colours.</summary>
public static class PortraitWorld
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes = new Dictionary<string, IReadOnlyList<string>>
    {
        ["eyes"] = ["brown", "blue", "green", "gray", "red", "purple"],
        ["hair"] = ["black", "brown", "blond", "red", "blue", "green", "pink", "white", "purple"],
        ["shirt"] = ["red", "blue", "green", "yellow", "white", "black", "orange", "purple"],
    };

    /// <summary>An English probe sentence per attribute value, in the captions' own wording ("a person with blue eyes").</summary>
    public static string Probe(string attribute, string value) => attribute switch
    {
        "eyes" => $"a person with {value} eyes",
        "hair" => $"a person with {value} hair",
        "shirt" => $"a person wearing a {value} shirt",
        _ => throw new ArgumentException($"PortraitWorld: unknown attribute \"{attribute}\" (expected {string.Join(", ", Attributes.Keys)}).", nameof(attribute)),
    };
}
