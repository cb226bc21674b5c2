using System.Diagnostics;
using System.Text;
using Kandinsky.Lab.Tensors.IO;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>
/// Mutates valid files (bytes, header text, length prefix, size) with a fixed seed and checks that every
/// result either opens and reads back completely or is rejected with a one-line <see cref="SafetensorsException"/>.
/// </summary>
public sealed class SafetensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("st-fuzz-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public const int InMemoryIterations = 60_000;
    public const int FileIterations = 1_500;

    static List<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        using (var w = new SafetensorsWriter())
        {
            w.Add("a.weight", new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3)
             .Add("a.bias", new Half[] { (Half)1, (Half)2 }, 2)
             .Add("ids", new long[] { 7, 8, 9 }, 1, 3)
             .Add("img", new ushort[] { 1, 65535 }, 1, 2)
             .Add("mask", new[] { true, false }, 2)
             .Add("s", new sbyte[] { -1 })
             .Add("e", Array.Empty<double>(), 0);
            w.Metadata["format"] = "pt";
            seeds.Add(w.ToBytes());
        }
        using (var w = new SafetensorsWriter()) seeds.Add(w.ToBytes());
        using (var w = new SafetensorsWriter().AddRaw("bf", SafetensorsDType.BF16, [3], new byte[6]).Add("u8", new byte[] { 1, 2, 3 }, 3))
            seeds.Add(w.ToBytes());
        return seeds;
    }

    static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "-1", "0", "1.5", "1e9", "18446744073709551615", "99999999999999999999999",
        "null", "true", "\"F32\"", "\"BOOL\"", "\"X\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", " ", "\u00e9", "\ud83d\ude00",
    ];

    static byte[] Mutate(byte[] seed, System.Random rng)
    {
        var bytes = new List<byte>(seed);
        int headerEnd = 8 + (int)Math.Min(BitConverter.ToUInt64(seed, 0), (ulong)(seed.Length - 8));
        int mutations = 1 + rng.Next(4);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            switch (rng.Next(9))
            {
                case 0: bytes[rng.Next(bytes.Count)] = (byte)rng.Next(256); break;
                case 1: bytes[rng.Next(bytes.Count)] ^= (byte)(1 << rng.Next(8)); break;
                case 2:
                {
                    // Delete a few bytes anywhere.
                    int at = rng.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(1 + rng.Next(8), bytes.Count - at));
                    break;
                }
                case 3:
                {
                    // Drop the last 1–16 bytes (truncated data).
                    int drop = Math.Min(1 + rng.Next(16), bytes.Count);
                    bytes.RemoveRange(bytes.Count - drop, drop);
                    break;
                }
                case 4:
                {
                    // Replace a span of the header text with a JSON-ish token.
                    int at = 8 + rng.Next(Math.Max(1, Math.Min(headerEnd, bytes.Count) - 8));
                    var token = Encoding.UTF8.GetBytes(Tokens[rng.Next(Tokens.Length)]);
                    int remove = Math.Min(rng.Next(4), Math.Max(0, bytes.Count - at));
                    if (at <= bytes.Count) { bytes.RemoveRange(at, remove); bytes.InsertRange(at, token); }
                    break;
                }
                case 5:
                {
                    // Change a digit in the header (shapes and offsets).
                    var digits = Enumerable.Range(8, Math.Max(0, Math.Min(headerEnd, bytes.Count) - 8)).Where(i => bytes[i] is >= (byte)'0' and <= (byte)'9').ToList();
                    if (digits.Count > 0) bytes[digits[rng.Next(digits.Count)]] = (byte)('0' + rng.Next(10));
                    break;
                }
                case 6:
                {
                    // Rewrite the length prefix to a nearby or extreme value.
                    if (bytes.Count < 8) break;
                    ulong n = BitConverter.ToUInt64(bytes.GetRange(0, 8).ToArray());
                    ulong[] choices = [n + 1, n - 1, n + 8, n - 8, 0, 1, 2, ulong.MaxValue, 100_000_000, (ulong)rng.Next()];
                    var nb = BitConverter.GetBytes(choices[rng.Next(choices.Length)]);
                    for (int i = 0; i < 8; i++) bytes[i] = nb[i];
                    break;
                }
                case 7:
                {
                    // Cut the file anywhere.
                    int cut = rng.Next(bytes.Count + 1);
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                }
                default:
                {
                    var extra = new byte[1 + rng.Next(16)];
                    rng.NextBytes(extra);
                    bytes.InsertRange(rng.Next(bytes.Count + 1), extra);
                    break;
                }
            }
        }
        return [.. bytes];
    }

    [Fact]
    public void Mutated_headers_are_accepted_or_rejected_cleanly_in_memory()
    {
        var rng = new System.Random(20261122);
        var seeds = Seeds();
        int accepted = 0, rejected = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < InMemoryIterations; i++)
        {
            var bytes = Mutate(seeds[i % seeds.Count], rng);
            try
            {
                var h = SafetensorsHeader.Parse(bytes, "fuzz");
                Assert.Equal(bytes.Length, h.DataOffset + h.DataLength);
                accepted++;
            }
            catch (SafetensorsException e)
            {
                Assert.StartsWith("fuzz: ", e.Message);
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
            }
        }
        output.WriteLine($"{InMemoryIterations} in-memory mutations: {accepted} accepted, {rejected} rejected, {sw.ElapsedMilliseconds} ms");
        Assert.True(rejected > InMemoryIterations / 2, "the mutations should mostly break the file");
        Assert.True(accepted > 0, "some mutations (e.g. in data bytes) leave the file valid");
    }

    [Fact]
    public void Mutated_files_open_and_read_fully_or_fail_cleanly()
    {
        var rng = new System.Random(7);
        var seeds = Seeds();
        int accepted = 0, rejected = 0;
        var path = Path.Combine(_dir, "f.safetensors");
        for (int i = 0; i < FileIterations; i++)
        {
            File.WriteAllBytes(path, Mutate(seeds[i % seeds.Count], rng));
            try
            {
                using var file = SafetensorsFile.Open(path);
                foreach (var t in file.Tensors)
                {
                    if (t.DType is SafetensorsDType.F8E4M3 or SafetensorsDType.F8E5M2) continue;
                    Assert.Equal(t.Count, file.ReadAsFloat32(t.Name).Length);
                    if (t.DType.ToTensorDType() != null)
                        using (var tensor = file.GetTensor(t.Name)) Assert.Equal(t.Count, tensor.ToArray().Length);
                }
                accepted++;
            }
            catch (SafetensorsException e)
            {
                Assert.StartsWith(path + ": ", e.Message);
                rejected++;
            }
        }
        output.WriteLine($"{FileIterations} file mutations: {accepted} accepted, {rejected} rejected");
        Assert.True(rejected > 0 && accepted > 0);
    }
}
