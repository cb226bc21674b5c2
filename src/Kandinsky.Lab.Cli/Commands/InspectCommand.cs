using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Kandinsky.Lab.Tensors.Imaging;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab inspect PATH`: what is in a safetensors file, a sharded index, a component folder or a
/// pipeline folder. Exit 0 on success, 2 on a rejected input with a one-line error on stderr.
/// </summary>
public static class InspectCommand
{
    /// <summary>An inspector for one kind of input: whether it applies, and how to print it.</summary>
    sealed record Inspector(string Kind, Func<string, bool> Matches, Action<string, TextWriter> Print);

    /// <summary>Tried in order; the first match prints. A new file type (e.g. PNG) is one more line here.</summary>
    static readonly Inspector[] Inspectors =
    [
        new("pipeline folder", p => Directory.Exists(p) && ModelFolder.IsModelFolder(p), PrintPipeline),
        new("component folder", Directory.Exists, PrintComponentFolder),
        new("sharded index", p => p.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase), PrintStore),
        new("PNG", p => p.EndsWith(".png", StringComparison.OrdinalIgnoreCase), (p, o) => o.WriteLine($"{p}: {Png.ReadInfo(p)}")),
        new("safetensors", _ => true, PrintSafetensors),
    ];

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A .safetensors file, a *.safetensors.index.json, a model/component folder, or a PNG image." };
        var command = new Command("inspect", "Show the tensors, dtypes, shapes and metadata of a checkpoint, or the components of a model folder.") { path };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            return Run(parse.GetValue(path)!, output, error);
        });
        return command;
    }

    /// <summary>Inspects <paramref name="path"/>; returns the exit code.</summary>
    public static int Run(string path, TextWriter output, TextWriter error)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            error.WriteLine($"error: {path}: no such file or folder.");
            return 2;
        }
        try
        {
            Inspectors.First(i => i.Matches(path)).Print(path, output);
            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Our own format exceptions (safetensors, PNG …) and I/O errors already name the file and the problem;
            // anything else is unexpected, so its type is shown too — still on one line, without a stack trace.
            var expected = e is InvalidDataException or IOException or UnauthorizedAccessException or KeyNotFoundException
                           || e.GetType().Namespace?.StartsWith("Kandinsky.Lab", StringComparison.Ordinal) == true;
            error.WriteLine("error: " + (expected ? "" : e.GetType().Name + ": ") + OneLine(e.Message));
            return 2;
        }
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");

    static void PrintSafetensors(string path, TextWriter o)
    {
        var sw = Stopwatch.StartNew();
        using var file = SafetensorsFile.Open(path);
        var openMs = sw.Elapsed.TotalMilliseconds;
        var h = file.Header;
        o.WriteLine($"{path}: safetensors, {h.Tensors.Count:N0} tensors, {Parameters(h.Tensors)} parameters, " +
                    $"{Bytes(h.DataLength)} of data, header {h.HeaderLength:N0} bytes; opened and validated in {openMs.ToString("F2", CultureInfo.InvariantCulture)} ms");
        PrintMetadata(h.Metadata, o);
        PrintTensors(h.Tensors, o);
    }

    static void PrintStore(string path, TextWriter o)
    {
        var sw = Stopwatch.StartNew();
        using var store = SafetensorsWeightStore.Open(path);
        var openMs = sw.Elapsed.TotalMilliseconds;
        var infos = store.Keys.Select(store.Info).ToList();
        o.WriteLine($"{path}: {store.Files.Count} shard(s), {infos.Count:N0} tensors, {Parameters(infos)} parameters, " +
                    $"{Bytes(infos.Sum(i => i.ByteLength))} of data; opened and validated in {openMs.ToString("F2", CultureInfo.InvariantCulture)} ms");
        foreach (var f in store.Files)
            o.WriteLine($"  {Path.GetFileName(f.Path)}: {f.Tensors.Count:N0} tensors, {Bytes(f.Header.DataLength)}");
        PrintTensors(infos, o);
    }

    static void PrintPipeline(string path, TextWriter o)
    {
        var folder = ModelFolder.Open(path);
        o.WriteLine($"{path}: {folder.ClassName ?? "(no _class_name)"} (diffusers {folder.Index.DiffusersVersion ?? "?"}), {folder.Components.Count} components");
        var rows = folder.Components.Select(c => new[]
        {
            c.Name, $"{c.Library ?? "-"}/{c.DeclaredClassName ?? "-"}", ComponentSummary(c),
        }).ToList();
        PrintTable(["component", "class", "contents"], rows, o);
    }

    static void PrintComponentFolder(string path, TextWriter o)
    {
        var c = ModelComponent.Open(path);
        if (!c.HasConfig && !c.HasWeights)
            throw new InvalidDataException($"{path}: neither a model folder (model_index.json) nor a component folder (config and safetensors weights).");
        o.WriteLine($"{path}: component {c.ClassName ?? "(unknown class)"}; {ComponentSummary(c)}");
        if (!c.HasWeights) return;
        using var store = c.OpenWeights();
        PrintTensors(store.Keys.Select(store.Info).ToList(), o);
    }

    static string ComponentSummary(ModelComponent c)
    {
        if (!c.Exists) return "(no folder)";
        var parts = new List<string>();
        if (c.ConfigPath is { } config) parts.Add(Path.GetFileName(config));
        if (c.HasWeights)
        {
            using var store = c.OpenWeights();
            var infos = store.Keys.Select(store.Info).ToList();
            var dtypes = string.Join("/", infos.Select(i => i.DType.HeaderName()).Distinct().Order());
            parts.Add($"{Path.GetFileName(store.Source)}: {infos.Count:N0} tensors, {Parameters(infos)} parameters ({dtypes}), {Bytes(infos.Sum(i => i.ByteLength))}");
        }
        return parts.Count == 0 ? "(empty)" : string.Join("; ", parts);
    }

    static void PrintMetadata(IReadOnlyDictionary<string, string> metadata, TextWriter o)
    {
        if (metadata.Count == 0) return;
        o.WriteLine("metadata:");
        foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"  {SafetensorsHeader.Printable(k)}: {SafetensorsHeader.Printable(v, 400)}");
    }

    static void PrintTensors(IReadOnlyCollection<SafetensorsTensorInfo> tensors, TextWriter o)
    {
        if (tensors.Count == 0) return;
        var rows = tensors.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new[] { SafetensorsHeader.Printable(t.Name), t.DType.HeaderName(), t.ShapeString, t.ByteLength.ToString("N0", CultureInfo.InvariantCulture) })
            .ToList();
        PrintTable(["tensor", "dtype", "shape", "bytes"], rows, o, rightAlignLast: true);
    }

    static void PrintTable(string[] header, List<string[]> rows, TextWriter o, bool rightAlignLast = false)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) =>
            i == cells.Length - 1 ? (rightAlignLast ? c.PadLeft(widths[i]) : c) : c.PadRight(widths[i])));
        o.WriteLine("  " + Line(header));
        foreach (var r in rows) o.WriteLine("  " + Line(r));
    }

    static string Parameters(IEnumerable<SafetensorsTensorInfo> tensors) =>
        tensors.Sum(t => t.Count).ToString("N0", CultureInfo.InvariantCulture);

    static string Bytes(long n) => n switch
    {
        >= 1L << 30 => (n / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (n / (double)(1L << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (n / (double)(1L << 10)).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => n.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
