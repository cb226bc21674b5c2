using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>
/// The subset of JSON Schema draft-04 that the nbformat schema uses (type, required, properties,
/// additionalProperties, patternProperties, enum, oneOf, not, $ref into definitions, items, minimum,
/// maximum, pattern, minLength, maxLength, uniqueItems). Returns every violation with its JSON path.
/// </summary>
public sealed class JsonSchemaValidator(JsonObject schema)
{
    public List<string> Validate(JsonNode? instance)
    {
        var errors = new List<string>();
        Check(schema, instance, "$", errors);
        return errors;
    }

    void Check(JsonObject s, JsonNode? x, string path, List<string> errors)
    {
        if (s["$ref"] is JsonValue r)
        {
            Check(Resolve((string)r!), x, path, errors);
            return;
        }
        if (s["type"] is JsonNode type && !TypeMatches(type, x)) { errors.Add($"{path}: expected type {type.ToJsonString()}, got {Kind(x)}"); return; }
        if (s["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, x))) errors.Add($"{path}: {x?.ToJsonString()} is not one of {values.ToJsonString()}");
        if (s["oneOf"] is JsonArray oneOf)
        {
            int matches = oneOf.Count(o => { var e = new List<string>(); Check((JsonObject)o!, x, path, e); return e.Count == 0; });
            if (matches != 1) errors.Add($"{path}: matches {matches} of the oneOf alternatives (expected exactly 1)");
        }
        if (s["not"] is JsonObject not)
        {
            var e = new List<string>();
            Check(not, x, path, e);
            if (e.Count == 0) errors.Add($"{path}: matches a schema it must not match");
        }
        switch (x)
        {
            case JsonObject obj: CheckObject(s, obj, path, errors); break;
            case JsonArray arr: CheckArray(s, arr, path, errors); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String: CheckString(s, (string)v!, path, errors); break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var d = v.GetValue<double>();
                if (s["minimum"] is JsonValue min && d < min.GetValue<double>()) errors.Add($"{path}: {d} < minimum {min}");
                if (s["maximum"] is JsonValue max && d > max.GetValue<double>()) errors.Add($"{path}: {d} > maximum {max}");
                break;
        }
    }

    void CheckObject(JsonObject s, JsonObject obj, string path, List<string> errors)
    {
        if (s["required"] is JsonArray required)
            foreach (var name in required.Select(n => (string)n!))
                if (!obj.ContainsKey(name)) errors.Add($"{path}: missing required property '{name}'");
        var props = s["properties"] as JsonObject;
        var patterns = s["patternProperties"] as JsonObject;
        foreach (var (key, value) in obj)
        {
            bool known = false;
            if (props?[key] is JsonObject ps) { known = true; Check(ps, value, $"{path}.{key}", errors); }
            if (patterns != null)
                foreach (var (pattern, pschema) in patterns)
                    if (Regex.IsMatch(key, pattern)) { known = true; Check((JsonObject)pschema!, value, $"{path}.{key}", errors); }
            if (known) continue;
            switch (s["additionalProperties"])
            {
                case JsonValue b when b.GetValueKind() == JsonValueKind.False: errors.Add($"{path}: unexpected property '{key}'"); break;
                case JsonObject extra: Check(extra, value, $"{path}.{key}", errors); break;
            }
        }
    }

    void CheckArray(JsonObject s, JsonArray arr, string path, List<string> errors)
    {
        if (s["items"] is JsonObject items)
            for (int i = 0; i < arr.Count; i++) Check(items, arr[i], $"{path}[{i}]", errors);
        if (s["uniqueItems"] is JsonValue u && u.GetValue<bool>())
            for (int i = 0; i < arr.Count; i++)
                for (int j = i + 1; j < arr.Count; j++)
                    if (JsonNode.DeepEquals(arr[i], arr[j])) errors.Add($"{path}: items {i} and {j} are equal");
    }

    static void CheckString(JsonObject s, string v, string path, List<string> errors)
    {
        if (s["pattern"] is JsonValue p && !Regex.IsMatch(v, (string)p!)) errors.Add($"{path}: '{v}' does not match {p}");
        if (s["minLength"] is JsonValue mn && v.Length < mn.GetValue<int>()) errors.Add($"{path}: shorter than {mn}");
        if (s["maxLength"] is JsonValue mx && v.Length > mx.GetValue<int>()) errors.Add($"{path}: longer than {mx}");
    }

    JsonObject Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException($"Only local $ref are supported, got {reference}.");
        JsonNode node = schema;
        foreach (var part in reference[2..].Split('/')) node = node[part] ?? throw new KeyNotFoundException($"$ref {reference} does not resolve.");
        return (JsonObject)node;
    }

    static bool TypeMatches(JsonNode type, JsonNode? x) => type switch
    {
        JsonArray any => any.Any(t => TypeMatches(t!, x)),
        _ => (string)type! switch
        {
            "object" => x is JsonObject,
            "array" => x is JsonArray,
            "string" => x is JsonValue v && v.GetValueKind() == JsonValueKind.String,
            "boolean" => x is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            "null" => x == null,
            "number" => x is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
            "integer" => x is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Math.Abs(v.GetValue<double>() % 1) == 0,
            _ => false,
        },
    };

    static string Kind(JsonNode? x) => x switch { null => "null", JsonObject => "object", JsonArray => "array", JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(), _ => "unknown" };
}
