using System.CommandLine;
using Kandinsky.Lab.Tensors.Imaging;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab png-to-tensor IN.png --out OUT.safetensors`: decodes a PNG into tensor <c>pixels</c>, U16
/// [H, W, 4] — RGBA scaled to 16 bits, palettes expanded, tRNS as alpha (the PngSuite reference convention).
/// Exit 0 on success, 2 with a one-line error for a rejected or unreadable file.
/// </summary>
public static class PngToTensorCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("png") { Description = "The PNG file to decode." };
        var output = new Option<string>("--out") { Description = "The safetensors file to write.", Required = true };
        var command = new Command("png-to-tensor", "Decode a PNG into a U16 [H, W, 4] RGBA tensor 'pixels' in a safetensors file.") { input, output };
        command.SetAction(parse =>
        {
            var io = parse.InvocationConfiguration;
            string source = parse.GetValue(input)!, target = Usage.OutputFile(parse.GetValue(output)!, output.Name);
            Image image;
            try
            {
                image = Png.Load(source);
            }
            catch (Exception e) when (e is PngException or IOException or UnauthorizedAccessException)
            {
                io.Error.WriteLine($"error: {OneLine(e.Message)}");
                return 2;
            }
            using var writer = new SafetensorsWriter();
            writer.Metadata["source"] = Path.GetFileName(source);
            writer.Add("pixels", image.ToRgba16(), image.Height, image.Width, 4); // [H, W, 4]
            writer.Save(target);
            io.Output.WriteLine($"{source}: {image} → {target} (pixels U16 [{image.Height}, {image.Width}, 4])");
            return 0;
        });
        return command;
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
