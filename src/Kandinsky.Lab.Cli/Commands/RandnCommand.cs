using System.CommandLine;
using System.Globalization;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab randn --seed S --shape 1,4,12,12 --out OUT.safetensors [--rand]`: the draw PyTorch makes with
/// <c>torch.Generator().manual_seed(S)</c> and <c>torch.randn(shape)</c> (or <c>torch.rand</c>), saved as tensor <c>values</c>.
/// </summary>
public static class RandnCommand
{
    public static Command Create()
    {
        var seed = new Option<ulong>("--seed") { Description = "Generator seed (torch.Generator().manual_seed).", Required = true };
        var shape = new Option<string>("--shape") { Description = "Comma-separated shape, e.g. 1,4,12,12.", Required = true };
        var output = new Option<string>("--out") { Description = "Output .safetensors file (tensor 'values', F32).", Required = true };
        var uniform = new Option<bool>("--rand") { Description = "Draw uniforms in [0, 1) (torch.rand) instead of normals." };
        var command = new Command("randn", "Draw torch.randn / torch.rand values for a seed, bit-for-bit like PyTorch's CPU generator.") { seed, shape, output, uniform };
        command.SetAction(parse => Run(parse.GetValue(seed), parse.GetValue(shape)!, Usage.OutputFile(parse.GetValue(output)!, output.Name), parse.GetValue(uniform),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(ulong seed, string shapeText, string outPath, bool uniform, TextWriter output, TextWriter error)
    {
        if (!TryParseShape(shapeText, out var shape, out var problem))
        {
            error.WriteLine($"error: --shape '{shapeText}': {problem}");
            return 2;
        }
        Usage.FitsInMemory(4.0 * ShapeUtil.Count(shape), $"--shape {shapeText}");
        var generator = new TorchGenerator(seed);
        using var values = uniform ? generator.Rand(shape) : generator.Randn(shape);
        using var writer = new SafetensorsWriter().Add("values", values);
        writer.Metadata["seed"] = seed.ToString(CultureInfo.InvariantCulture);
        writer.Metadata["distribution"] = uniform ? "rand" : "randn";
        try { writer.Save(outPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {outPath}: cannot write: {e.Message.ReplaceLineEndings(" ")}");
            return 2;
        }
        output.WriteLine($"{(uniform ? "rand" : "randn")} seed {seed} shape {values.ShapeString} → {outPath}");
        return 0;
    }

    static bool TryParseShape(string text, out int[] shape, out string problem)
    {
        shape = [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        long count = 1;
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]))
            {
                problem = $"'{parts[i]}' is not a non-negative integer.";
                return false;
            }
            count *= dims[i];
            if (count > int.MaxValue)
            {
                problem = $"more than {int.MaxValue:N0} elements.";
                return false;
            }
        }
        shape = dims;
        problem = "";
        return true;
    }
}
