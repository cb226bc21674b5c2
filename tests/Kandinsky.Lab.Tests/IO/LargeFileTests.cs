using System.Diagnostics;
using System.Text;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>
/// A 5 GiB sparse checkpoint (1,280 F16 tensors of [2048, 1024]) opens without reading its data: the header is
/// validated, the file mapped, and only the pages a tensor view touches are read. Both are measured: the bytes the
/// open reads (this thread's read calls) and the resident pages of the mapping after one row is read. The open time
/// is logged, not asserted.
/// </summary>
public sealed class LargeFileTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("st-large-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static string WriteSparseCheckpoint(string path, int tensors, int rows, int cols)
    {
        long bytesPerTensor = 2L * rows * cols;
        var json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        for (int i = 0; i < tensors; i++)
            json.Append($",\"blocks.{i}.weight\":{{\"dtype\":\"F16\",\"shape\":[{rows},{cols}],\"data_offsets\":[{i * bytesPerTensor},{(i + 1) * bytesPerTensor}]}}");
        json.Append('}');
        while (json.Length % 8 != 0) json.Append(' ');
        var header = Encoding.UTF8.GetBytes(json.ToString());
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.Write(BitConverter.GetBytes((ulong)header.Length));
        stream.Write(header);
        stream.SetLength(8 + header.Length + tensors * bytesPerTensor);
        return path;
    }

    /// <summary>Reads beyond the header (a buffered stream's last block, /proc's own line) and pages faulted around a touched one.</summary>
    const long Slack = 1L << 20;

    [LinuxFact]
    public unsafe void A_five_gigabyte_sparse_file_opens_and_reads_lazily()
    {
        var path = WriteSparseCheckpoint(Path.Combine(_dir, "big.safetensors"), 1280, 2048, 1024);
        long dataOffset = SafetensorsHeader.Read(path).DataOffset;
        Assert.Equal(5L << 30, new FileInfo(path).Length - dataOffset);

        // The first open pays for JIT; the logged figure is the median of the following ones.
        using (SafetensorsFile.Open(path)) { }
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            using var f = SafetensorsFile.Open(path);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine($"open + validate + map of a 5 GiB, 1,280-tensor file: median {times[2]:F2} ms (min {times[0]:F2}, max {times[^1]:F2})");

        long readBefore = ProcSelf.ThreadReadBytes();
        using var file = SafetensorsFile.Open(path);
        long readByOpen = ProcSelf.ThreadReadBytes() - readBefore;
        Assert.True(readByOpen <= dataOffset + Slack, $"opening read {readByOpen:N0} bytes; the header is {dataOffset:N0}");
        Assert.Equal(1280, file.Tensors.Count);
        using var last = file.GetTensor("blocks.1279.weight");
        Assert.Equal(DType.F16, last.DType);
        using var row = last.Select(0, 2047);
        Assert.All(row.ToArray(), v => Assert.Equal(0f, v));
        long resident = ProcSelf.MappingRssBytes((long)last.RawPointer);
        output.WriteLine($"read by open: {readByOpen:N0} bytes (header {dataOffset:N0}); mapping resident after one 2 KiB row: {resident:N0} bytes");
        Assert.True(resident <= Slack, $"after reading one 2 KiB row, {resident:N0} bytes of the 5 GiB mapping are resident");
    }
}
