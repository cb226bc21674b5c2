using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Tensors.Imaging;
using Microsoft.Data.Analysis;

namespace Kandinsky.Lab.Analysis;

/// <summary>Where in the pipeline an attribute is scored.</summary>
public static class BleedStages
{
    /// <summary>The prompt's CLIP text embedding, zero-shot against the probes.</summary>
    public const string Text = "text";
    /// <summary>The image embedding the decoder gets (the prior's, after an intervention), zero-shot against the probes.</summary>
    public const string Prior = "prior";
    /// <summary>The image, read by the portrait pixel reader.</summary>
    public const string Pixels = "pixels";
    /// <summary>The image, read zero-shot by the checkpoint's CLIP image encoder.</summary>
    public const string Clip = "clip";
}

/// <summary>What was read off one generated image (and the embeddings behind it).</summary>
public sealed record BleedObservation
{
    /// <summary>The unit's index in <see cref="BleedSpec.Units"/> (what shards split and merge checks).</summary>
    [JsonPropertyName("unit")] public int Unit { get; init; }
    [JsonPropertyName("arm")] public required string Arm { get; init; }
    [JsonPropertyName("intervention")] public required string Intervention { get; init; }
    [JsonPropertyName("condition")] public required string Condition { get; init; }
    /// <summary>The prompt the run used when an intervention changed it (null: the arm's).</summary>
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }
    [JsonPropertyName("seed")] public ulong Seed { get; init; }
    /// <summary>The image's row in its seed's batch.</summary>
    [JsonPropertyName("image")] public int Image { get; init; }
    /// <summary>"stage:attribute" → value read (text, prior zero-shot; pixels, clip readers).</summary>
    [JsonPropertyName("reads")] public required IReadOnlyDictionary<string, string> Reads { get; init; }
    /// <summary>"stage:attribute=value" → cosine of the stage's CLIP vector to the question's probe.</summary>
    [JsonPropertyName("cosines")] public required IReadOnlyDictionary<string, double> Cosines { get; init; }
}

/// <summary>
/// The bleed ledger: for every arm (prompt) × intervention × condition (plain, stage swap) and every question, the
/// attribute's share in CLIP text space, in the image embedding (zero-shot against the probes) and in the pixels
/// (the pixel reader, the CLIP reader) with 95% intervals (Wilson for shares, bootstrap for the mean cosines), and
/// the CLIP reader's agreement with the pixel reader. <see cref="Summary"/> is the table as a DataFrame; the
/// observations behind it travel in the JSON, so shards merge into exactly the ledger of the whole sweep.
/// </summary>
[TypeFormatterSource(typeof(LabFormatterSource))]
public sealed class BleedLedger
{
    public BleedLedger(BleedSpec spec, string model, BleedShard shard, IReadOnlyList<BleedObservation> observations,
        IReadOnlyDictionary<(string Arm, string Intervention, string Condition), List<Image>>? images = null)
    {
        Spec = spec;
        Model = model;
        Shard = shard;
        Observations = observations;
        Images = images ?? new Dictionary<(string, string, string), List<Image>>();
        Summary = Summarise(spec, observations);
    }

    public BleedSpec Spec { get; }
    public string Model { get; }
    public BleedShard Shard { get; }
    public IReadOnlyList<BleedObservation> Observations { get; }
    /// <summary>The generated images per (arm, intervention, condition), seed by seed (empty for a ledger loaded from JSON).</summary>
    public IReadOnlyDictionary<(string Arm, string Intervention, string Condition), List<Image>> Images { get; }
    /// <summary>One row per arm × intervention × condition × question × stage × metric.</summary>
    public DataFrame Summary { get; }

    /// <summary>The summary row's estimate for a share of <paramref name="question"/> (NaN when the ledger has no such row).</summary>
    public Estimate Share(string arm, string question, string stage = BleedStages.Pixels, string intervention = "none", string condition = BleedConditions.Plain)
    {
        for (long r = 0; r < Summary.Rows.Count; r++)
        {
            var row = Summary.Rows[r];
            if ((string)row["arm"] == arm && (string)row["question"] == question && (string)row["stage"] == stage && (string)row["metric"] == "share"
                && (string)row["intervention"] == intervention && (string)row["condition"] == condition)
                return new Estimate((double)row["estimate"], (double)row["low"], (double)row["high"]);
        }
        return new Estimate(double.NaN, double.NaN, double.NaN);
    }

    /// <summary>How often each value of <paramref name="attribute"/> was read at <paramref name="stage"/> (shares of all images of the group).</summary>
    public IReadOnlyList<(string Value, double Share)> Distribution(string arm, string attribute, string stage = BleedStages.Pixels, string intervention = "none",
        string condition = BleedConditions.Plain)
    {
        var reads = Observations.Where(o => o.Arm == arm && o.Intervention == intervention && o.Condition == condition)
            .Select(o => o.Reads.TryGetValue($"{stage}:{attribute}", out var v) ? v : null).Where(v => v != null).ToList();
        return reads.GroupBy(v => v!).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (double)g.Count() / reads.Count)).ToList();
    }

    static DataFrame Summarise(BleedSpec spec, IReadOnlyList<BleedObservation> observations)
    {
        var arm = new StringDataFrameColumn("arm"); var language = new StringDataFrameColumn("language"); var prompt = new StringDataFrameColumn("prompt");
        var intervention = new StringDataFrameColumn("intervention"); var condition = new StringDataFrameColumn("condition");
        var question = new StringDataFrameColumn("question"); var stage = new StringDataFrameColumn("stage"); var metric = new StringDataFrameColumn("metric");
        var k = new Int32DataFrameColumn("k"); var n = new Int32DataFrameColumn("n");
        var estimate = new DoubleDataFrameColumn("estimate"); var low = new DoubleDataFrameColumn("low"); var high = new DoubleDataFrameColumn("high");
        string runPrompt = "";
        void Add(BleedArmSpec a, string i, string c, string q, string s, string m, int? kk, int nn, Estimate e)
        {
            arm.Append(a.Id); language.Append(a.Language); prompt.Append(runPrompt); intervention.Append(i); condition.Append(c);
            question.Append(q); stage.Append(s); metric.Append(m); k.Append(kk); n.Append(nn); estimate.Append(e.Value); low.Append(e.Low); high.Append(e.High);
        }
        var groups = observations.GroupBy(o => (o.Arm, o.Intervention, o.Condition)).ToList();
        foreach (var g in groups)
        {
            var a = spec.Arms.First(x => x.Id == g.Key.Arm);
            var rows = g.ToList();
            runPrompt = rows[0].Prompt ?? a.Prompt;
            foreach (var q in spec.Questions)
            {
                string qs = q.ToString();
                // The prompt's text embedding is one vector however many images: its pick is 0 or 1, with no interval.
                bool textHit = rows[0].Reads[$"{BleedStages.Text}:{q.Attribute}"] == q.Value;
                double textCos = rows[0].Cosines[$"{BleedStages.Text}:{qs}"];
                Add(a, g.Key.Intervention, g.Key.Condition, qs, BleedStages.Text, "share", textHit ? 1 : 0, 1, new Estimate(textHit ? 1 : 0, double.NaN, double.NaN));
                Add(a, g.Key.Intervention, g.Key.Condition, qs, BleedStages.Text, "cosine", null, 1, new Estimate(textCos, double.NaN, double.NaN));
                foreach (var s in new[] { BleedStages.Prior, BleedStages.Pixels, BleedStages.Clip })
                {
                    var key = $"{s}:{q.Attribute}";
                    if (!rows[0].Reads.ContainsKey(key)) continue;
                    int hits = rows.Count(o => o.Reads[key] == q.Value);
                    Add(a, g.Key.Intervention, g.Key.Condition, qs, s, "share", hits, rows.Count, BleedStatistics.Wilson(hits, rows.Count));
                }
                Add(a, g.Key.Intervention, g.Key.Condition, qs, BleedStages.Prior, "cosine", null, rows.Count,
                    BleedStatistics.BootstrapMean(rows.Select(o => o.Cosines[$"{BleedStages.Prior}:{qs}"]).ToList()));
            }
            foreach (var attribute in rows[0].Reads.Keys.Where(k => k.StartsWith(BleedStages.Pixels + ":", StringComparison.Ordinal)).Select(k => k[(BleedStages.Pixels.Length + 1)..]))
            {
                string pk = $"{BleedStages.Pixels}:{attribute}", ck = $"{BleedStages.Clip}:{attribute}";
                var found = rows.Where(o => o.Reads[pk] != AttributeReading.NotFound).ToList();
                Add(a, g.Key.Intervention, g.Key.Condition, attribute, BleedStages.Pixels, "found", found.Count, rows.Count, BleedStatistics.Wilson(found.Count, rows.Count));
                if (found.Count > 0 && found[0].Reads.ContainsKey(ck))
                {
                    int agree = found.Count(o => o.Reads[ck] == o.Reads[pk]);
                    Add(a, g.Key.Intervention, g.Key.Condition, attribute, "clip vs pixels", "agreement", agree, found.Count, BleedStatistics.Wilson(agree, found.Count));
                }
            }
        }
        return new DataFrame(arm, language, prompt, intervention, condition, question, stage, metric, k, n, estimate, low, high);
    }

    // ---- files ---------------------------------------------------------------------------------

    sealed record File
    {
        [JsonPropertyName("spec")] public required BleedSpec Spec { get; init; }
        [JsonPropertyName("model")] public required string Model { get; init; }
        [JsonPropertyName("shard")] public required string Shard { get; init; }
        [JsonPropertyName("observations")] public required IReadOnlyList<BleedObservation> Observations { get; init; }
    }

    /// <summary>The spec, the model, the shard and every observation (what <see cref="Merge"/> reads back).</summary>
    public string ToJson() => JsonSerializer.Serialize(new File { Spec = Spec, Model = Model, Shard = Shard.ToString(), Observations = Observations }, BleedSpec.Json);

    /// <summary>The summary as RFC 4180 CSV (invariant culture).</summary>
    public string ToCsv()
    {
        using var stream = new MemoryStream();
        DataFrame.SaveCsv(Summary, stream, cultureInfo: System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static BleedLedger Load(string path)
    {
        File? file;
        try { file = JsonSerializer.Deserialize<File>(System.IO.File.ReadAllText(path), BleedSpec.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a bleed ledger: {e.Message}", e); }
        if (file == null) throw new InvalidDataException($"{path}: empty bleed ledger.");
        return new BleedLedger(file.Spec.Validate(path), file.Model, BleedShard.Parse(file.Shard), file.Observations);
    }

    /// <summary>
    /// The ledger of the whole sweep from its shards: they must share the spec and the model and together hold every
    /// unit exactly once; the observations are put back in the sweep's order, so the result equals the unsharded run.
    /// </summary>
    public static BleedLedger Merge(IReadOnlyList<BleedLedger> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("bleed merge: no ledgers given.", nameof(parts));
        var spec = parts[0].Spec;
        string specJson = spec.ToJson();
        foreach (var p in parts)
        {
            if (p.Spec.ToJson() != specJson) throw new InvalidDataException($"bleed merge: shard {p.Shard} ran a different spec than shard {parts[0].Shard}.");
            if (p.Model != parts[0].Model) throw new InvalidDataException($"bleed merge: shard {p.Shard} ran model \"{p.Model}\", shard {parts[0].Shard} \"{parts[0].Model}\".");
        }
        int units = spec.Units().Count;
        var owners = parts.SelectMany((p, k) => p.Observations.Select(o => (o.Unit, Part: k))).Distinct().GroupBy(x => x.Unit).ToDictionary(g => g.Key, g => g.Count());
        if (owners.FirstOrDefault(x => x.Value > 1) is { Value: > 1 } twice) throw new InvalidDataException($"bleed merge: unit {twice.Key} is in more than one of the ledgers given.");
        var missing = Enumerable.Range(0, units).Where(u => !owners.ContainsKey(u)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"bleed merge: {missing.Count} of {units} units missing (first: {missing[0]}); is a shard left out?");
        var observations = parts.SelectMany(p => p.Observations)
            .OrderBy(o => o.Unit).ThenBy(o => IndexOf(o.Condition)).ThenBy(o => o.Image).ToList();
        return new BleedLedger(spec, parts[0].Model, BleedShard.Whole, observations);
    }

    static int IndexOf(string condition)
    {
        for (int i = 0; i < BleedConditions.Order.Count; i++)
            if (BleedConditions.Order[i] == condition) return i;
        return BleedConditions.Order.Count;
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"Bleed ledger \"{Spec.Name}\" on {Model}: {Observations.Count} images ({Spec.Arms.Count} prompts × {Spec.Seeds.Count} seeds × {Spec.ImagesPerSeed}; shard {Shard})");
        foreach (var q in Spec.Questions)
            foreach (var a in Spec.Arms)
            {
                var p = Share(a.Id, q.ToString());
                if (!double.IsNaN(p.Value)) sb.Append($"\n  P({q} | \"{a.Prompt}\") = {p.Value:0.00} [{p.Low:0.00}, {p.High:0.00}]");
            }
        return sb.ToString();
    }
}
