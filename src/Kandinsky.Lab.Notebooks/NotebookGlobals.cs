using System.Text.Json.Nodes;

namespace Kandinsky.Lab.Notebooks;

/// <summary>
/// What a notebook cell can call besides its own code: <c>display(x)</c>, as in Polyglot Notebooks, which adds
/// an output and returns a handle whose <see cref="DisplayHandle.Update"/> replaces that output in place.
/// </summary>
public sealed class NotebookGlobals
{
    static readonly AsyncLocal<CellOutputs?> Running = new();

    /// <summary>The outputs of the cell being run (for <see cref="DisplayExtensions.Display"/> too).</summary>
    internal CellOutputs? Current { get => Running.Value; set => Running.Value = value; }

    internal static CellOutputs? RunningCell => Running.Value;

    /// <summary>The folder of the notebook being run (relative paths in a cell resolve against it).</summary>
    public string NotebookDirectory { get; internal set; } = Environment.CurrentDirectory;

#pragma warning disable IDE1006 // lower-case name: the Polyglot Notebooks convention
    public DisplayHandle display(object? value)
#pragma warning restore IDE1006
    {
        var outputs = Current ?? throw new InvalidOperationException("display() can only be called while a cell runs.");
        return outputs.AddDisplay(value);
    }
}

/// <summary><c>x.Display()</c>, as .NET Interactive offers it: adds an output and returns its handle.</summary>
public static class DisplayExtensions
{
    public static DisplayHandle Display(this object? value) =>
        (NotebookGlobals.RunningCell ?? throw new InvalidOperationException(".Display() can only be called while a cell runs.")).AddDisplay(value);
}

/// <summary>An output added by <c>display(x)</c>; <see cref="Update"/> replaces its content.</summary>
public sealed class DisplayHandle
{
    readonly JsonObject _output;

    internal DisplayHandle(JsonObject output) => _output = output;

    public void Update(object? value) => _output["data"] = CellOutputs.MimeData(value);

    public override string ToString() => "(display handle)";
}

/// <summary>The outputs of the cell being run, in order: console text flushed before each display.</summary>
internal sealed class CellOutputs(JsonArray outputs, StringWriter console)
{
    public JsonArray Outputs { get; } = outputs;

    public DisplayHandle AddDisplay(object? value)
    {
        FlushConsole();
        var output = new JsonObject { ["output_type"] = "display_data", ["data"] = MimeData(value), ["metadata"] = new JsonObject() };
        Outputs.Add(output);
        return new DisplayHandle(output);
    }

    public void AddResult(object? value, int executionCount)
    {
        FlushConsole();
        Outputs.Add(new JsonObject { ["output_type"] = "execute_result", ["execution_count"] = executionCount, ["data"] = MimeData(value), ["metadata"] = new JsonObject() });
    }

    public void AddError(string name, string message, IEnumerable<string> traceback)
    {
        FlushConsole();
        Outputs.Add(new JsonObject { ["output_type"] = "error", ["ename"] = name, ["evalue"] = message, ["traceback"] = new JsonArray([.. traceback.Select(t => (JsonNode?)JsonValue.Create(t))]) });
    }

    public void FlushConsole()
    {
        var text = console.ToString();
        if (text.Length == 0) return;
        console.GetStringBuilder().Clear();
        if (Outputs.Count > 0 && Outputs[^1] is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == "stdout")
        {
            var lines = (JsonArray)last["text"]!;
            var joined = string.Concat(lines.Select(l => (string)l!)) + text;
            last["text"] = NotebookCell.SourceLines(joined);
            return;
        }
        Outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = NotebookCell.SourceLines(text) });
    }

    /// <summary>An nbformat mimebundle: text types as line lists, JSON types as JSON, images as base64.</summary>
    public static JsonObject MimeData(object? value)
    {
        var data = new JsonObject();
        foreach (var (mime, content) in DisplayFormatter.ToMimeBundle(value))
            data[mime] = mime.EndsWith("json", StringComparison.Ordinal) ? JsonNode.Parse(content) : mime.StartsWith("image/", StringComparison.Ordinal) ? content : NotebookCell.SourceLines(content);
        return data;
    }
}
