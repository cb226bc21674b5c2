using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kandinsky.Lab.Benchmarks.Networks;

/// <summary>One input tensor that export_onnx.py saved beside model.onnx: its name, dtype ("float32", "int64", "bool"), shape and raw bytes.</summary>
public sealed record ExportedInput(string Name, string DType, int[] Shape, byte[] Bytes)
{
    public float[] Floats() => DType == "float32" ? MemoryMarshal.Cast<byte, float>(Bytes).ToArray() : throw Mismatch("float32");

    public long[] Longs() => DType == "int64" ? MemoryMarshal.Cast<byte, long>(Bytes).ToArray() : throw Mismatch("int64");

    public bool[] Bools() => DType == "bool" ? Bytes.Select(b => b != 0).ToArray() : throw Mismatch("bool");

    InvalidDataException Mismatch(string wanted) => new($"input {Name} is {DType}, expected {wanted}.");
}

/// <summary>
/// A network exported by ../shared/reference/export_onnx.py into one folder: model.onnx (float32, weights as external
/// data), the inputs it was traced with (io.json + NAME.bin) and diffusers' own output on them (out.bin), so every
/// baseline and our port run the same inputs and are checked against the same reference.
/// </summary>
public sealed class ExportedCase
{
    public required string Folder { get; init; }
    public required IReadOnlyDictionary<string, ExportedInput> Inputs { get; init; }
    /// <summary>diffusers' output on <see cref="Inputs"/>, float32.</summary>
    public required float[] Expected { get; init; }
    public string ModelPath => Path.Combine(Folder, "model.onnx");

    /// <summary>How to make the folder, for the message when it is missing.</summary>
    public static string HowToMake(string net, string folder) =>
        $"PYTHONPATH=... /usr/bin/python3 ../shared/reference/export_onnx.py {net} --model CKPT --out {folder}   (PYTHONPATH from ../shared/reference/setup.sh; see tests/Kandinsky.Lab.Benchmarks/README.md)";

    /// <summary>The case in <paramref name="folder"/>, or null when export_onnx.py has not written it (model.onnx, io.json, out.bin).</summary>
    public static ExportedCase? TryLoad(string folder)
    {
        string[] needed = ["model.onnx", "io.json", "out.bin"];
        if (needed.Any(f => !File.Exists(Path.Combine(folder, f)))) return null;
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "io.json"))).RootElement;
        var inputs = new Dictionary<string, ExportedInput>();
        foreach (var inp in spec.GetProperty("inputs").EnumerateArray())
        {
            var name = inp.GetProperty("name").GetString()!;
            var shape = inp.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            inputs[name] = new ExportedInput(name, inp.GetProperty("dtype").GetString()!, shape, File.ReadAllBytes(Path.Combine(folder, name + ".bin")));
        }
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, "out.bin"))).ToArray();
        return new ExportedCase { Folder = folder, Inputs = inputs, Expected = expected };
    }

    public ExportedInput this[string name] => Inputs.TryGetValue(name, out var v) ? v
        : throw new InvalidDataException($"{Folder}/io.json has no input {name} (it has {string.Join(", ", Inputs.Keys)}).");

    /// <summary>
    /// Largest |got − expected| over the output and the largest |expected|; any non-finite value or a length
    /// mismatch gives an infinite error, so a wrong or NaN output can never pass a tolerance.
    /// </summary>
    public (double MaxError, double MaxExpected) Compare(ReadOnlySpan<float> got)
    {
        double maxExpected = 0, maxError = got.Length == Expected.Length ? 0 : double.PositiveInfinity;
        for (int i = 0; i < Math.Min(got.Length, Expected.Length); i++)
        {
            double e = Math.Abs((double)got[i] - Expected[i]);
            maxError = double.IsFinite(e) ? Math.Max(maxError, e) : double.PositiveInfinity;
            maxExpected = Math.Max(maxExpected, Math.Abs(Expected[i]));
        }
        return (maxError, maxExpected);
    }
}
