using System.CommandLine;
using Kandinsky.Lab.Parity;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab run-trace TRACE.json --model DIR --out OUT.safetensors`: replays a reference run and records every tensor.</summary>
public static class RunTraceCommand
{
    public static Command Create()
    {
        var trace = new Argument<FileInfo>("trace") { Description = "Trace description (.json) with its .safetensors beside it." };
        var model = new Option<DirectoryInfo?>("--model") { Description = "Model folder with prior/ and decoder/ (default: the embedded Kandinsky-Micro)." };
        var outFile = new Option<FileInfo>("--out") { Description = "Safetensors file for every tensor computed, under the trace's names.", Required = true };
        var command = new Command("run-trace", "Replay a reference trace (prompt through our tokenizers, recorded noise) and write every tensor.") { trace, model, outFile };
        command.SetAction(parse =>
        {
            var modelDir = parse.GetValue(model) is { } m ? Usage.Folder(m.FullName, model.Name) : Pipeline.KandinskyLab.MicroPath;
            var tracePath = Usage.File(parse.GetValue(trace)!.FullName, trace.Name);
            var path = Usage.OutputFile(parse.GetValue(outFile)!.FullName, outFile.Name);
            ModuleOutputs outputs;
            try { outputs = TraceReplay.Run(tracePath, modelDir); }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException
                                          or InvalidOperationException or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
            {
                Console.Error.WriteLine($"run-trace: {e.Message}");
                return 2;
            }
            using (outputs)
            {
                outputs.Save(path);
                Console.WriteLine($"wrote {outputs.Values.Count} tensors to {path}");
            }
            return 0;
        });
        return command;
    }
}
