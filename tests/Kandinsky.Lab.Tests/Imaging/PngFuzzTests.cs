using System.Buffers.Binary;
using System.IO.Compression;
using Kandinsky.Lab.Tensors.Imaging;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.Imaging;

/// <summary>
/// Mutation fuzzing: flipped, overwritten, inserted, deleted and truncated bytes in valid PNGs must end in
/// a decoded image or a <see cref="PngException"/> — never another exception type, a crash or a hang. Half
/// of the byte-level mutants get their chunk CRCs repaired so the mutation reaches the header and zlib code,
/// and a quarter of all mutants change the inflated image data itself (re-compressed into a well-formed file)
/// to reach the filter, de-interlacing and palette code.
/// </summary>
public class PngFuzzTests(ITestOutputHelper output)
{
    const int Iterations = 50_000;
    const int Seed = 20261122;

    [Fact]
    public void MutatedFilesOnlyEverThrowPngException()
    {
        var corpus = PngSuiteTests.Stems(valid: true)
            .Select(stem => File.ReadAllBytes(Fixtures.Path_("pngsuite", "images", stem + ".png"))).ToList();
        var unpacked = corpus.Select(Unpacked.From).ToList();
        var rng = new Random(Seed);
        int decoded = 0, rejected = 0, rejectedInData = 0;
        var failures = new List<string>();
        for (int i = 0; i < Iterations && failures.Count < 5; i++)
        {
            int pick = rng.Next(corpus.Count);
            var file = rng.Next(4) == 0 ? MutateImageData(unpacked[pick], rng, out var what) : Mutate(corpus[pick], rng, out what);
            try
            {
                Png.ReadInfo(file);
                var image = Png.Decode(file);
                Assert.True(image.Width > 0 && image.Height > 0);
                decoded++;
            }
            catch (PngException e)
            {
                rejected++;
                if (e.Chunk == "IDAT" && e.ChunkOffset < 0) rejectedInData++;
            }
            catch (Exception e)
            {
                failures.Add($"iteration {i} ({what}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        output.WriteLine($"{Iterations} iterations (seed {Seed}): {decoded} decoded, {rejected} rejected, {rejectedInData} of them while decoding pixel data");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(rejectedInData > Iterations / 20, $"only {rejectedInData} mutants reached the pixel decoder");
        Assert.True(decoded > Iterations / 50, $"only {decoded} mutants decoded");
    }

    static byte[] Mutate(byte[] original, Random rng, out string what)
    {
        var file = new List<byte>(original);
        var steps = new List<string>();
        MutateBytes(file, rng, steps);
        var bytes = file.ToArray();
        if (rng.Next(2) == 0)
        {
            RepairCrcs(bytes);
            steps.Add("CRCs repaired");
        }
        what = string.Join(", ", steps);
        return bytes;
    }

    /// <summary>A valid file as its chunks and its inflated image data.</summary>
    sealed record Unpacked(List<(string Type, byte[] Data)> Chunks, byte[] ImageData)
    {
        public static Unpacked From(byte[] file)
        {
            var chunks = new List<(string Type, byte[] Data)>();
            for (int pos = 8; pos < file.Length;)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
                chunks.Add((System.Text.Encoding.ASCII.GetString(file, pos + 4, 4), file.AsSpan(pos + 8, length).ToArray()));
                pos += 12 + length;
            }
            var compressed = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
            using var z = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
            var inflated = new MemoryStream();
            z.CopyTo(inflated);
            return new Unpacked(chunks, inflated.ToArray());
        }
    }

    /// <summary>Mutates the inflated image data of a valid file and writes a well-formed file around it.</summary>
    static byte[] MutateImageData(Unpacked original, Random rng, out string what)
    {
        var raw = new List<byte>(original.ImageData);
        var steps = new List<string> { "in image data:" };
        MutateBytes(raw, rng, steps);
        var builder = new PngBuilder();
        bool written = false;
        foreach (var (type, data) in original.Chunks)
        {
            if (type != "IDAT") builder.Chunk(type, data);
            else if (!written) { builder.Chunk("IDAT", PngBuilder.Zlib(raw.ToArray(), CompressionLevel.Fastest)); written = true; }
        }
        what = string.Join(", ", steps);
        return builder.ToArray();
    }

    static void MutateBytes(List<byte> file, Random rng, List<string> steps)
    {
        for (int n = rng.Next(1, 4); n > 0 && file.Count > 0; n--)
        {
            int at = rng.Next(file.Count);
            switch (rng.Next(7))
            {
                case 0:
                    file[at] ^= (byte)(1 << rng.Next(8));
                    steps.Add($"flip bit at {at}");
                    break;
                case 1:
                    file[at] = (byte)rng.Next(256);
                    steps.Add($"set byte {at}");
                    break;
                case 2:
                    int count = rng.Next(1, 17);
                    file.InsertRange(at, Enumerable.Range(0, count).Select(_ => (byte)rng.Next(256)));
                    steps.Add($"insert {count} at {at}");
                    break;
                case 3:
                    int remove = Math.Min(rng.Next(1, 17), file.Count - at);
                    file.RemoveRange(at, remove);
                    steps.Add($"delete {remove} at {at}");
                    break;
                case 4:
                    file.RemoveRange(at, file.Count - at);
                    steps.Add($"truncate to {at}");
                    break;
                case 5:
                    int length = Math.Min(rng.Next(1, 64), file.Count - at);
                    var slice = file.GetRange(at, length);
                    int to = rng.Next(file.Count);
                    file.InsertRange(to, slice);
                    steps.Add($"copy {length} from {at} to {to}");
                    break;
                default:
                    if (at + 4 > file.Count) break;
                    uint[] interesting = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 100_000];
                    uint value = interesting[rng.Next(interesting.Length)];
                    for (int b = 0; b < 4; b++) file[at + b] = (byte)(value >> (24 - 8 * b));
                    steps.Add($"write {value} at {at}");
                    break;
            }
        }
    }

    /// <summary>Recomputes the CRC of every chunk that still fits in the file, walking lengths as the reader does.</summary>
    static void RepairCrcs(byte[] file)
    {
        for (int pos = 8; pos + 12 <= file.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            if (length > file.Length - pos - 12) return;
            var crc = Crc32.Compute(file.AsSpan(pos + 4, 4 + (int)length));
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
    }
}
