using System.Text.Json;
using System.Text.Json.Serialization;
using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Analysis;

/// <summary>An attribute value whose share the ledger counts ("eyes" = "blue").</summary>
public sealed record BleedQuestion([property: JsonPropertyName("attribute")] string Attribute, [property: JsonPropertyName("value")] string Value)
{
    public override string ToString() => $"{Attribute}={Value}";
}

/// <summary>One prompt of a sweep; <see cref="Control"/> names the arm whose text the stage swap decodes this arm's embedding with.</summary>
public sealed record BleedArmSpec
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("prompt")] public required string Prompt { get; init; }
    [JsonPropertyName("language")] public string Language { get; init; } = "en";
    [JsonPropertyName("control")] public string? Control { get; init; }
}

/// <summary>An intervention of a sweep file, by its "kind" (which must come first in the object); <see cref="Arms"/>: the arm ids it runs on (default: all).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(NameAttributeSpec), "name-attribute")]
[JsonDerivedType(typeof(PriorNegativeSpec), "prior-negative")]
[JsonDerivedType(typeof(SliderSpec), "slider")]
[JsonDerivedType(typeof(InterpolateSpec), "interpolate")]
[JsonDerivedType(typeof(AttentionReweightSpec), "attention-reweight")]
public abstract record InterventionSpec
{
    [JsonPropertyName("arms")] public IReadOnlyList<string>? Arms { get; init; }
    /// <summary>The interventions it stands for on <paramref name="arm"/> (a slider: one per α).</summary>
    public abstract IEnumerable<IBleedIntervention> For(BleedArmSpec arm);
}

/// <summary>"name-attribute": the prompt that names the attribute, per arm id.</summary>
public sealed record NameAttributeSpec : InterventionSpec
{
    [JsonPropertyName("prompts")] public required IReadOnlyDictionary<string, string> Prompts { get; init; }
    public override IEnumerable<IBleedIntervention> For(BleedArmSpec arm) =>
        Prompts.TryGetValue(arm.Id, out var p) ? [new NameAttribute(p)] : [];
}

public sealed record PriorNegativeSpec : InterventionSpec
{
    [JsonPropertyName("negative")] public required string Negative { get; init; }
    public override IEnumerable<IBleedIntervention> For(BleedArmSpec arm) => [new PriorNegativePrompt(Negative)];
}

public sealed record SliderSpec : InterventionSpec
{
    [JsonPropertyName("toward")] public required string Toward { get; init; }
    [JsonPropertyName("away")] public required string Away { get; init; }
    [JsonPropertyName("alphas")] public required IReadOnlyList<float> Alphas { get; init; }
    public override IEnumerable<IBleedIntervention> For(BleedArmSpec arm) => Alphas.Select(a => new ConceptSlider(Toward, Away, a));
}

public sealed record InterpolateItemSpec([property: JsonPropertyName("text")] string Text, [property: JsonPropertyName("weight")] float Weight);

public sealed record InterpolateSpec : InterventionSpec
{
    [JsonPropertyName("with")] public required IReadOnlyList<InterpolateItemSpec> With { get; init; }
    public override IEnumerable<IBleedIntervention> For(BleedArmSpec arm) => [new Interpolation(With.Select(w => (w.Text, w.Weight)).ToList())];
}

/// <summary>
/// "attention-reweight": the decoder's attention to <see cref="Word"/> (or, with <see cref="ImageTokens"/>, to the image
/// tokens) scaled by each of <see cref="Scales"/>, everywhere or inside/outside <see cref="Region"/>.
/// </summary>
public sealed record AttentionReweightSpec : InterventionSpec
{
    [JsonPropertyName("word")] public string? Word { get; init; }
    [JsonPropertyName("image_tokens")] public bool ImageTokens { get; init; }
    [JsonPropertyName("scales")] public required IReadOnlyList<float> Scales { get; init; }
    [JsonPropertyName("region")] public AttentionRegion? Region { get; init; }
    [JsonPropertyName("inside")] public bool Inside { get; init; } = true;

    public override IEnumerable<IBleedIntervention> For(BleedArmSpec arm) => Scales.Select(s => new AttentionReweighting(Options(s)));

    AttentionReweightOptions Options(float scale) => new() { Word = Word, ImageTokens = ImageTokens, Scale = scale, Region = Region, Inside = Inside };

    /// <summary>Throws naming the file when a scale or region is out of range, or an arm it runs on lacks the word.</summary>
    internal void Validate(string source, IReadOnlyList<BleedArmSpec> arms)
    {
        if (Scales.Count == 0) throw new InvalidDataException($"{source}: an attention-reweight intervention has no \"scales\".");
        try { foreach (var s in Scales) Options(s).Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: attention-reweight: {e.Message}", e); }
        if (Word == null) return;
        foreach (var arm in arms.Where(a => Arms == null || Arms.Contains(a.Id)))
            if (!Tokenizers.PromptWords.Segment(arm.Prompt).Any(w => string.Equals(arm.Prompt[w.Start..w.End], Word.Trim(), StringComparison.OrdinalIgnoreCase)))
                throw new InvalidDataException($"{source}: attention-reweight word \"{Word}\" is not a word of arm \"{arm.Id}\" (\"{arm.Prompt}\"); name the arms it applies to with \"arms\".");
    }
}

/// <summary>
/// A bleed sweep as a plain file: prompts (arms) × seeds × interventions, the questions to count, both stages'
/// settings. Every image is determined by (arm, intervention, seed), so a sweep cut into shards and merged is the
/// same ledger as the sweep run whole.
/// </summary>
public sealed record BleedSpec
{
    [JsonPropertyName("name")] public string Name { get; init; } = "bleed";
    [JsonPropertyName("questions")] public required IReadOnlyList<BleedQuestion> Questions { get; init; }
    [JsonPropertyName("arms")] public required IReadOnlyList<BleedArmSpec> Arms { get; init; }
    /// <summary>One prior run and one decoder run of <see cref="ImagesPerSeed"/> images per seed; each stage has its own generator seeded with it.</summary>
    [JsonPropertyName("seeds")] public required IReadOnlyList<ulong> Seeds { get; init; }
    [JsonPropertyName("images_per_seed")] public int ImagesPerSeed { get; init; } = 8;
    [JsonPropertyName("prior")] public PriorOptions Prior { get; init; } = new();
    [JsonPropertyName("decoder")] public DecodeOptions Decoder { get; init; } = new() { Steps = 25 };
    /// <summary>Decode the plain run's embeddings also with the control's text, with "" and the zero-image embedding with the arm's text.</summary>
    [JsonPropertyName("stage_swap")] public bool StageSwap { get; init; } = true;
    /// <summary>Also read the pixels with the CLIP zero-shot reader (its agreement with the pixel reader lands in the ledger).</summary>
    [JsonPropertyName("clip_reader")] public bool ClipReader { get; init; } = true;
    [JsonPropertyName("interventions")] public IReadOnlyList<InterventionSpec> Interventions { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() }, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static BleedSpec Load(string path)
    {
        BleedSpec? spec;
        try { spec = JsonSerializer.Deserialize<BleedSpec>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a bleed spec: {e.Message}", e); }
        return (spec ?? throw new InvalidDataException($"{path}: empty bleed spec.")).Validate(path);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Throws naming the file and the field when the spec cannot run; returns this.</summary>
    public BleedSpec Validate(string source = "spec")
    {
        if (Arms.Count == 0) throw new InvalidDataException($"{source}: \"arms\" is empty; give at least one prompt.");
        if (Seeds.Count == 0) throw new InvalidDataException($"{source}: \"seeds\" is empty; give at least one seed.");
        if (ImagesPerSeed < 1) throw new InvalidDataException($"{source}: \"images_per_seed\" is {ImagesPerSeed}; expected at least 1.");
        if (Questions.Count == 0) throw new InvalidDataException($"{source}: \"questions\" is empty; name at least one attribute value to count.");
        if (Arms.GroupBy(a => a.Id).FirstOrDefault(g => g.Count() > 1) is { } dup) throw new InvalidDataException($"{source}: arm id \"{dup.Key}\" appears twice.");
        if (Seeds.Distinct().Count() != Seeds.Count) throw new InvalidDataException($"{source}: \"seeds\" repeats a seed.");
        var ids = Arms.Select(a => a.Id).ToHashSet();
        foreach (var a in Arms)
            if (a.Control != null && !ids.Contains(a.Control)) throw new InvalidDataException($"{source}: arm \"{a.Id}\" names control \"{a.Control}\", which is not an arm id.");
        foreach (var q in Questions)
            if (!PortraitWorld.Attributes.TryGetValue(q.Attribute, out var values) || !values.Contains(q.Value))
                throw new InvalidDataException($"{source}: question {q} is not an attribute value of the portrait world ({string.Join("; ", PortraitWorld.Attributes.Select(p => $"{p.Key}: {string.Join(", ", p.Value)}"))}).");
        foreach (var i in Interventions)
            foreach (var arm in i.Arms ?? [])
                if (!ids.Contains(arm)) throw new InvalidDataException($"{source}: an intervention names arm \"{arm}\", which is not an arm id.");
        foreach (var r in Interventions.OfType<AttentionReweightSpec>()) r.Validate(source, Arms);
        Prior.Validate();
        Decoder.Validate();
        return this;
    }

    /// <summary>The interventions run on <paramref name="arm"/>, the plain run first.</summary>
    public IReadOnlyList<IBleedIntervention> InterventionsFor(BleedArmSpec arm) =>
        [NoIntervention.Instance, .. Interventions.Where(i => i.Arms == null || i.Arms.Contains(arm.Id)).SelectMany(i => i.For(arm))];

    /// <summary>Every unit of work in the canonical order: arm × intervention × seed.</summary>
    public IReadOnlyList<BleedUnit> Units() =>
        Arms.SelectMany(a => InterventionsFor(a).SelectMany(i => Seeds.Select(s => new BleedUnit(a, i, s)))).Select((u, k) => u with { Index = k }).ToList();
}

/// <summary>One prior run (and its decodes) of a sweep.</summary>
public sealed record BleedUnit(BleedArmSpec Arm, IBleedIntervention Intervention, ulong Seed)
{
    public int Index { get; init; }
}

/// <summary>Shard <see cref="Index"/> (0-based, as Slurm's array index from 0 and Kubernetes' completion index) of <see cref="Count"/>.</summary>
public readonly record struct BleedShard(int Index, int Count)
{
    public static readonly BleedShard Whole = new(0, 1);

    /// <summary>Parses "K/N" (0 ≤ K &lt; N).</summary>
    public static BleedShard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && k >= 0 && k < n) return new(k, n);
        throw new FormatException($"--shard \"{text}\": expected K/N with 0 ≤ K < N (e.g. 0/4 … 3/4).");
    }

    public bool Owns(BleedUnit unit) => unit.Index % Count == Index;
    public override string ToString() => $"{Index}/{Count}";
}
