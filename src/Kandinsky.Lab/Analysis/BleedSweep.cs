using Kandinsky.Lab.Pipeline;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Analysis;

/// <summary>The decodes of one prior run: the plain one and the stage swap's three.</summary>
public static class BleedConditions
{
    /// <summary>The arm's embedding with the arm's text (what the pipeline does).</summary>
    public const string Plain = "plain";
    /// <summary>The arm's embedding with the control's text: what the prior carries.</summary>
    public const string SwapText = "swap-text";
    /// <summary>The arm's embedding with "" as the decoder's text: prior-only conditioning.</summary>
    public const string EmptyText = "empty-text";
    /// <summary>The zero-image embedding with the arm's text: decoder-only conditioning.</summary>
    public const string ZeroEmbedding = "zero-embedding";

    public static readonly IReadOnlyList<string> Order = [Plain, SwapText, EmptyText, ZeroEmbedding];

    public static string Describe(string condition, string? control) => condition switch
    {
        Plain => "prior and decoder on the prompt",
        SwapText => $"prior on the prompt, decoder text of {control}",
        EmptyText => "prior on the prompt, empty decoder text",
        ZeroEmbedding => "zero image embedding, decoder text of the prompt",
        _ => condition,
    };
}

/// <summary>Progress of a sweep: units (prior runs with their decodes) done of this shard's total.</summary>
public sealed record BleedProgress(int Done, int Total, string Unit);

/// <summary>Runs a <see cref="BleedSpec"/> (or one shard of it) on a lab into a <see cref="BleedLedger"/>.</summary>
public static class BleedSweep
{
    public static BleedLedger Run(KandinskyLab lab, BleedSpec spec, BleedShard? shard = null, IProgress<BleedProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        spec.Validate();
        var part = shard ?? BleedShard.Whole;
        var units = spec.Units().Where(part.Owns).ToList();
        var probes = new ClipZeroShotReader(lab);
        var observations = new List<BleedObservation>();
        var images = new Dictionary<(string Arm, string Intervention, string Condition), List<Image>>();
        for (int u = 0; u < units.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var unit = units[u];
            progress?.Report(new BleedProgress(u, units.Count, $"{unit.Arm.Id} · {unit.Intervention.Name} · seed {unit.Seed}"));
            foreach (var (condition, decoded) in RunUnit(lab, spec, unit, probes, cancellationToken))
            {
                var key = (unit.Arm.Id, unit.Intervention.Name, condition);
                if (!images.TryGetValue(key, out var list)) images[key] = list = [];
                list.AddRange(decoded.Select(d => d.Image));
                observations.AddRange(decoded.Select(d => d.Observation));
            }
        }
        progress?.Report(new BleedProgress(units.Count, units.Count, "done"));
        return new BleedLedger(spec, lab.Name, part, observations, images);
    }

    static IEnumerable<(string Condition, IReadOnlyList<(Image Image, BleedObservation Observation)>)> RunUnit(KandinskyLab lab, BleedSpec spec, BleedUnit unit,
        ClipZeroShotReader probes, CancellationToken ct)
    {
        var plan = unit.Intervention.Plan(new BleedPlan
        {
            Prompt = unit.Arm.Prompt,
            Prior = spec.Prior with { Seed = unit.Seed, ImagesPerPrompt = spec.ImagesPerSeed, Callbacks = new("prior") { CancellationToken = ct } },
            Decode = spec.Decoder with { Seed = unit.Seed, Callbacks = new("decoder") { CancellationToken = ct } },
        });
        using var priorText = lab.EncodeText(plan.Prompt, plan.PriorNegativePrompt);
        using var decoderText = plan.PriorNegativePrompt == null ? null : lab.EncodeText(plan.Prompt);
        using var prior = lab.Prior(priorText, plan.Prior);
        var textEmbedding = priorText.ClipTextEmbedding(0);
        using var edited = unit.Intervention.EditEmbedding(prior.ImageEmbeds, new BleedContext(lab, probes, plan));
        var embeds = edited ?? prior.ImageEmbeds;
        var text = decoderText ?? priorText;

        var results = new List<(string, IReadOnlyList<(Image, BleedObservation)>)>
        {
            (BleedConditions.Plain, Decode(lab, spec, unit, BleedConditions.Plain, embeds, prior.NegativeImageEmbeds, text, plan, textEmbedding, probes)),
        };
        if (spec.StageSwap && unit.Intervention is NoIntervention)
        {
            if (unit.Arm.Control is { } controlId)
            {
                using var control = lab.EncodeText(spec.Arms.First(a => a.Id == controlId).Prompt);
                results.Add((BleedConditions.SwapText, Decode(lab, spec, unit, BleedConditions.SwapText, embeds, prior.NegativeImageEmbeds, control, plan, textEmbedding, probes)));
            }
            using var empty = lab.EncodeText("");
            results.Add((BleedConditions.EmptyText, Decode(lab, spec, unit, BleedConditions.EmptyText, embeds, prior.NegativeImageEmbeds, empty, plan, textEmbedding, probes)));
            using var zero = lab.ZeroImageEmbedding(embeds.Count);
            results.Add((BleedConditions.ZeroEmbedding, Decode(lab, spec, unit, BleedConditions.ZeroEmbedding, zero, prior.NegativeImageEmbeds, text, plan, textEmbedding, probes)));
        }
        return results;
    }

    static IReadOnlyList<(Image, BleedObservation)> Decode(KandinskyLab lab, BleedSpec spec, BleedUnit unit, string condition, ImageEmbedding embeds,
        ImageEmbedding negative, TextEncoding text, BleedPlan plan, float[] textEmbedding, ClipZeroShotReader probes)
    {
        using var decoded = lab.Decode(embeds, negative, text, plan.Decode);
        var attributes = probes.Attributes.Keys.ToList();   // every attribute, not only the questions': the ledger's distributions and agreement
        var list = new List<(Image, BleedObservation)>();
        for (int i = 0; i < decoded.Images.Count; i++)
        {
            var image = decoded.Images[i];
            var embedding = embeds.Vector(i);
            var reads = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var cosines = new SortedDictionary<string, double>(StringComparer.Ordinal);
            var pixels = PortraitReader.Instance.Read(image);
            var clip = spec.ClipReader ? probes.Read(image) : null;
            foreach (var a in attributes)
            {
                reads[$"{BleedStages.Text}:{a}"] = probes.Pick(a, textEmbedding);
                reads[$"{BleedStages.Prior}:{a}"] = probes.Pick(a, embedding);
                reads[$"{BleedStages.Pixels}:{a}"] = pixels[a];
                if (clip != null) reads[$"{BleedStages.Clip}:{a}"] = clip[a];
            }
            foreach (var q in spec.Questions)
            {
                var probe = probes.ProbeEmbedding(q.Attribute, q.Value);
                cosines[$"{BleedStages.Text}:{q}"] = ImageEmbedding.Cosine(textEmbedding, probe);
                cosines[$"{BleedStages.Prior}:{q}"] = ImageEmbedding.Cosine(embedding, probe);
            }
            list.Add((image, new BleedObservation
            {
                Unit = unit.Index, Arm = unit.Arm.Id, Intervention = unit.Intervention.Name, Condition = condition, Seed = unit.Seed, Image = i,
                Prompt = plan.Prompt == unit.Arm.Prompt ? null : plan.Prompt,
                Reads = reads, Cosines = cosines,
            }));
        }
        return list;
    }
}
