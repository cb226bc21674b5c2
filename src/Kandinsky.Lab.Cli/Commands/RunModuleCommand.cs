using System.CommandLine;
using Kandinsky.Lab.Parity;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>`kandinsky-lab run-module --case DIR --out FILE [--trace] [--check]`: the golden parity harness.</summary>
public static class RunModuleCommand
{
    public static Command Create()
    {
        var caseDir = new Option<DirectoryInfo>("--case") { Description = "Golden case folder (case.json, model/, io.safetensors).", Required = true };
        var outFile = new Option<FileInfo>("--out") { Description = "Safetensors file to write every out.* (and trace.*) to.", Required = true };
        var trace = new Option<bool>("--trace") { Description = "Also write the intermediate activations (trace.*)." };
        var check = new Option<bool>("--check") { Description = "Compare with the case's io.safetensors by its tolerances; exit code 1 on a failure." };
        var command = new Command("run-module", $"Run one module of a golden case on its inputs. Kinds: {string.Join(", ", ModuleRunner.SupportedKinds)}.")
        {
            caseDir, outFile, trace, check,
        };
        command.SetAction(parse =>
        {
            var dir = Usage.Folder(parse.GetValue(caseDir)!.FullName, caseDir.Name);
            var output = Usage.OutputFile(parse.GetValue(outFile)!.FullName, outFile.Name);
            ModuleOutputs outputs;
            try { outputs = ModuleRunner.Run(dir, parse.GetValue(trace)); }
            catch (Exception e) when (e is NotSupportedException or InvalidDataException or FileNotFoundException or ArgumentException or Tensors.IO.WeightLoadException or Tensors.IO.SafetensorsException)
            {
                Console.Error.WriteLine($"run-module: {e.Message}");
                return 2;
            }
            using var _ = outputs;
            outputs.Save(output);
            Console.WriteLine($"wrote {outputs.Values.Count} tensors to {output}");
            if (!parse.GetValue(check)) return 0;
            var spec = GoldenCaseSpec.Load(dir);
            var results = ParityCheck.CompareCase(spec, outputs);
            Console.Write(ParityCheck.Report(spec, results));
            return results.All(r => r.Passed) ? 0 : 1;
        });
        return command;
    }
}
