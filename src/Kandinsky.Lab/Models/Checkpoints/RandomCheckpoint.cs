using System.Text.Json;
using System.Text.Json.Nodes;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Models.Checkpoints;

/// <summary>What <see cref="RandomCheckpoint.Write"/> wrote for one weight file.</summary>
public sealed record WrittenWeights(string Path, int Tensors, long Parameters, long Bytes);

/// <summary>
/// Writes a random-weight checkpoint of a <see cref="CheckpointPreset"/> in the diffusers layout:
/// <c>OUT/prior/…</c> and <c>OUT/decoder/…</c>, each with model_index.json, one folder per component with its
/// config file and, for networks, the weights under their checkpoint names and shapes (streamed to disk).
/// </summary>
public static class RandomCheckpoint
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IReadOnlyList<WrittenWeights> Write(CheckpointPreset preset, string outDir, DType dtype, ulong seed, Action<WrittenWeights>? progress = null)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"Unsupported weight dtype {dtype}.");
        var written = new List<WrittenWeights>();
        foreach (var pipeline in preset.Pipelines)
        {
            var pipelineDir = Path.Combine(outDir, pipeline.Folder);
            Directory.CreateDirectory(pipelineDir);
            File.WriteAllText(Path.Combine(pipelineDir, "model_index.json"), pipeline.ModelIndex.ToJsonString(Indented) + "\n");
            foreach (var component in pipeline.Components)
            {
                var dir = Path.Combine(pipelineDir, component.Folder);
                Directory.CreateDirectory(dir);
                var config = component.Config.DeepClone().AsObject();
                if (config.ContainsKey("torch_dtype")) config["torch_dtype"] = dtype switch { DType.F16 => "float16", DType.BF16 => "bfloat16", _ => "float32" };
                File.WriteAllText(Path.Combine(dir, component.ConfigFileName), config.ToJsonString(Indented) + "\n");
                if (component.WeightsFileName == null) continue;
                var spec = component.Parameters();
                var path = Path.Combine(dir, component.WeightsFileName);
                RandomWeightsWriter.Write(path, spec, dtype, seed ^ (ulong)(uint)StableHash($"{pipeline.Folder}/{component.Folder}"));
                var result = new WrittenWeights(path, spec.Count, ParameterSpec.Count(spec), new FileInfo(path).Length);
                written.Add(result);
                progress?.Invoke(result);
            }
        }
        return written;
    }

    static int StableHash(string s)
    {
        unchecked
        {
            int h = 17;
            foreach (var c in s) h = h * 31 + c;
            return h;
        }
    }
}
