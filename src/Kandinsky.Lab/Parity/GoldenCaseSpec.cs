using System.Text.Json;
using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Parity;

/// <summary>The tolerance of one golden tensor: |ours - golden| ≤ atol + rtol·|golden|, or exact equality.</summary>
public readonly record struct Tolerance(double Atol, double Rtol, bool Exact)
{
    public override string ToString() => Exact ? "exact" : $"atol {Atol:G3}, rtol {Rtol:G3}";
}

/// <summary>
/// A golden case folder (tests/fixtures/golden/&lt;case&gt;): case.json (module kind, call arguments, tolerances),
/// model/ and io.safetensors.
/// </summary>
public sealed class GoldenCaseSpec
{
    GoldenCaseSpec(string dir, JsonElement root)
    {
        Dir = dir;
        Root = root;
        Module = root.TryGetProperty("module", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()!
            : throw new InvalidDataException($"{CaseJsonPath}: missing the string \"module\" (the module kind).");
        Atol = root.TryGetProperty("atol", out var a) ? ConfigFile.GetDouble(a) : 0;
        Rtol = root.TryGetProperty("rtol", out var r) ? ConfigFile.GetDouble(r) : 0;
    }

    public string Dir { get; }
    public string Name => Path.GetFileName(Dir.TrimEnd(Path.DirectorySeparatorChar, '/'));
    public JsonElement Root { get; }
    public string Module { get; }
    public double Atol { get; }
    public double Rtol { get; }
    public string CaseJsonPath => Path.Combine(Dir, "case.json");
    public string IoPath => Path.Combine(Dir, "io.safetensors");
    public string ModelDir => Path.Combine(Dir, "model");
    /// <summary>The <c>call</c> object (empty object when absent).</summary>
    public JsonElement Call => Root.TryGetProperty("call", out var c) ? c : default;

    public static GoldenCaseSpec Load(string caseDir)
    {
        var path = Path.Combine(caseDir, "case.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"Golden case: {path} not found (is {caseDir} a case folder?).", path);
        // diffusers' own JSON (Python's json.dumps) writes bare -Infinity, e.g. lambda_min_clipped: the config reader takes it.
        using var doc = ConfigFile.ParseDocument(File.ReadAllText(path), path);
        return new GoldenCaseSpec(caseDir, doc.RootElement.Clone());
    }

    /// <summary>tolerances[name], falling back to the case-level atol / rtol.</summary>
    public Tolerance ToleranceFor(string name)
    {
        if (Root.TryGetProperty("tolerances", out var all) && all.TryGetProperty(name, out var t))
        {
            if (t.TryGetProperty("exact", out var e) && e.ValueKind == JsonValueKind.True) return new Tolerance(0, 0, true);
            return new Tolerance(t.TryGetProperty("atol", out var a) ? ConfigFile.GetDouble(a) : Atol, t.TryGetProperty("rtol", out var r) ? ConfigFile.GetDouble(r) : Rtol, false);
        }
        return new Tolerance(Atol, Rtol, false);
    }

    /// <summary>An integer from <c>call</c> (e.g. "num_inference_steps").</summary>
    public int CallInt(params string[] path) => CallValue(path).GetInt32();

    public double CallDouble(params string[] path) => ConfigFile.GetDouble(CallValue(path));

    public int[] CallIntArray(params string[] path) => CallValue(path).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    JsonElement CallValue(string[] path)
    {
        var e = Call;
        foreach (var key in path)
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(key, out e))
                throw new InvalidDataException($"{CaseJsonPath}: call.{string.Join('.', path)} is missing.");
        return e;
    }
}
