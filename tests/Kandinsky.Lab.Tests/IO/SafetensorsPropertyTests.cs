using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>Writer → reader round trips over random names, dtypes, shapes and metadata.</summary>
public class SafetensorsPropertyTests
{
    sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, byte[] Data);

    static readonly string[] NameParts = ["a", "weight", "bias", "0", "12", ".", "_", "é", "名", "\"", "\\", "\n", " ", "🙂", "__metadata", "x"];

    static readonly Gen<string> Names =
        from count in Gen.Choose(1, 5)
        from parts in Gen.ArrayOf(Gen.Elements(NameParts), count)
        select string.Concat(parts);

    static readonly Gen<Entry> Entries =
        from name in Names
        from dtype in Gen.Elements(Enum.GetValues<SafetensorsDType>())
        from rank in Gen.Choose(0, 3)
        from dims in Gen.ArrayOf(Gen.Choose(0, 5), rank)
        from seed in Gen.Choose(0, 1_000_000)
        let shape = dims.Select(d => (long)d).ToArray()
        let bytes = RandomBytes(seed, shape.Aggregate(1L, (a, b) => a * b) * dtype.Size())
        select new Entry(name, dtype, shape, bytes);

    static byte[] RandomBytes(int seed, long n)
    {
        var b = new byte[n];
        new System.Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void Written_files_parse_back_to_the_same_tensors_in_reference_order()
    {
        var cases = from tensorCount in Gen.Choose(0, 8)
                    from entries in Gen.ArrayOf(Entries, tensorCount)
                    from metaCount in Gen.Choose(0, 3)
                    from metaKeys in Gen.ArrayOf(Names, metaCount)
                    select (entries: entries.DistinctBy(e => e.Name).Where(e => e.Name != "__metadata__").ToList(), meta: metaKeys.Distinct().ToList());
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var w = new SafetensorsWriter();
            foreach (var e in c.entries) w.AddRaw(e.Name, e.DType, e.Shape, e.Data);
            foreach (var k in c.meta) w.Metadata[k] = k + "=v";
            var bytes = w.ToBytes();
            var header = SafetensorsHeader.Parse(bytes, "prop");
            bool ok = header.HeaderLength % 8 == 0 && header.Tensors.Count == c.entries.Count
                      && header.Metadata.Count == c.meta.Count && c.meta.All(k => header.Metadata[k] == k + "=v");
            foreach (var e in c.entries)
            {
                ok &= header.TryGet(e.Name, out var info) && info.DType == e.DType && info.Shape.SequenceEqual(e.Shape)
                      && bytes.AsSpan((int)(header.DataOffset + info.Begin), (int)info.ByteLength).SequenceEqual(e.Data);
            }
            // Data order is the reference writer's: widest dtype first, then by name (ordinal).
            var expected = c.entries.OrderByDescending(e => e.DType).ThenBy(e => e.Name, StringComparer.Ordinal).Select(e => e.Name);
            var actual = header.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).Select(t => t.Name);
            // Zero-byte tensors share offsets, so only the non-empty ones have a fixed position.
            var nonEmpty = c.entries.Where(e => e.Data.Length > 0).Select(e => e.Name).ToHashSet();
            ok &= expected.Where(nonEmpty.Contains).SequenceEqual(actual.Where(nonEmpty.Contains));
            return ok;
        }).QuickCheckThrowOnFailure();
    }
}
