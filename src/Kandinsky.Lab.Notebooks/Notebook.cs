using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kandinsky.Lab.Notebooks;

/// <summary>
/// An nbformat 4 notebook held as JSON so that metadata we do not interpret survives a round trip.
/// Cells keep their own JSON objects; the runner replaces code cells' outputs and execution counts.
/// </summary>
public sealed class Notebook
{
    readonly JsonObject _root;

    Notebook(JsonObject root, string? path)
    {
        _root = root;
        Path = path;
    }

    public string? Path { get; }
    public JsonObject Metadata => (JsonObject)_root["metadata"]!;
    public IReadOnlyList<NotebookCell> Cells => ((JsonArray)_root["cells"]!).Select(c => new NotebookCell((JsonObject)c!)).ToList();

    public static Notebook Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookFormatException($"{path}: cannot read the notebook: {e.Message}");
        }
        return Parse(text, path);
    }

    public static Notebook Parse(string json, string? path = null)
    {
        var where = path ?? "notebook";
        JsonNode? node;
        try { node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new NotebookFormatException($"{where}: not valid JSON ({e.Message})."); }
        if (node is not JsonObject root) throw new NotebookFormatException($"{where}: the top level must be a JSON object.");
        if (root["nbformat"] is not JsonValue v || !v.TryGetValue(out int major) || major != 4)
            throw new NotebookFormatException($"{where}: only nbformat 4 notebooks are supported (found nbformat {root["nbformat"]?.ToJsonString() ?? "missing"}).");
        if (root["cells"] is not JsonArray cells) throw new NotebookFormatException($"{where}: \"cells\" must be an array.");
        for (int i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell) throw new NotebookFormatException($"{where}: cell {i + 1} is not an object.");
            var type = cell["cell_type"]?.GetValueKind() == JsonValueKind.String ? (string?)cell["cell_type"] : null;
            if (type is not ("code" or "markdown" or "raw")) throw new NotebookFormatException($"{where}: cell {i + 1} has an unknown cell_type {cell["cell_type"]?.ToJsonString() ?? "(missing)"}.");
            if (cell["source"] is not (JsonArray or JsonValue)) throw new NotebookFormatException($"{where}: cell {i + 1} has no source.");
            cell["metadata"] ??= new JsonObject();
            if (cell["metadata"] is not JsonObject) throw new NotebookFormatException($"{where}: cell {i + 1} metadata must be an object.");
            if (type == "code")
            {
                cell["outputs"] ??= new JsonArray();
                if (cell["outputs"] is not JsonArray) throw new NotebookFormatException($"{where}: cell {i + 1} outputs must be an array.");
                if (!cell.ContainsKey("execution_count")) cell["execution_count"] = null;
            }
        }
        root["metadata"] ??= new JsonObject();
        if (root["metadata"] is not JsonObject) throw new NotebookFormatException($"{where}: \"metadata\" must be an object.");
        root["nbformat_minor"] ??= 5;
        if (root["nbformat_minor"] is JsonValue minor && minor.TryGetValue(out int m) && m >= 5) EnsureCellIds(cells);
        return new Notebook(root, path);
    }

    /// <summary>nbformat 4.5 requires a unique id on every cell; cells without one get "cell-N".</summary>
    static void EnsureCellIds(JsonArray cells)
    {
        var used = new HashSet<string>(cells.Select(c => (c as JsonObject)?["id"]).OfType<JsonValue>().Select(v => v.ToString()), StringComparer.Ordinal);
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = (JsonObject)cells[i]!;
            if (cell["id"] is JsonValue) continue;
            int n = i + 1;
            while (used.Contains($"cell-{n}")) n += cells.Count;
            used.Add($"cell-{n}");
            cell["id"] = $"cell-{n}";
        }
    }

    /// <summary>A deep copy (the runner executes into a copy, leaving the source untouched).</summary>
    public Notebook Clone(string? path = null) => new((JsonObject)_root.DeepClone(), path ?? Path);

    public string ToJson() => _root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>A new empty C# notebook in the Polyglot Notebooks layout.</summary>
    public static Notebook CreateCSharp() => Parse("""
        {"cells": [], "metadata": {"kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"},
         "language_info": {"name": "csharp"}, "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "csharp", "items": [{"name": "csharp"}]}}},
         "nbformat": 4, "nbformat_minor": 5}
        """);

    public void AddCell(string cellType, string source)
    {
        var cells = (JsonArray)_root["cells"]!;
        var cell = new JsonObject { ["id"] = $"cell-{cells.Count + 1}", ["cell_type"] = cellType, ["metadata"] = new JsonObject(), ["source"] = NotebookCell.SourceLines(source) };
        if (cellType == "code")
        {
            cell["metadata"] = new JsonObject { ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" }, ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" } };
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }
        cells.Add(cell);
    }
}

/// <summary>One cell of a <see cref="Notebook"/> (a live view over its JSON).</summary>
public sealed class NotebookCell(JsonObject json)
{
    public JsonObject Json { get; } = json;
    public string CellType => (string)Json["cell_type"]!;

    public string Source => Json["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValueKind() == JsonValueKind.String ? (string)l! : "")),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        _ => "",
    };

    /// <summary>The cell's language: Polyglot metadata, else the notebook default (C#).</summary>
    public string Language =>
        (string?)Json["metadata"]?["polyglot_notebook"]?["kernelName"]
        ?? (string?)Json["metadata"]?["dotnet_interactive"]?["language"]
        ?? "csharp";

    public JsonArray Outputs => (JsonArray)(Json["outputs"] ??= new JsonArray());

    public int? ExecutionCount
    {
        get => Json["execution_count"] is JsonValue v && v.TryGetValue(out int n) ? n : null;
        set => Json["execution_count"] = value;
    }

    /// <summary>nbformat multiline string: a list of lines, each but the last ending in "\n".</summary>
    public static JsonArray SourceLines(string text)
    {
        var arr = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            arr.Add(text[start..end]);
            start = end;
        }
        return arr;
    }
}

/// <summary>A notebook file that is not a valid nbformat 4 document; the message names the file and the problem.</summary>
public sealed class NotebookFormatException(string message) : Exception(message);
