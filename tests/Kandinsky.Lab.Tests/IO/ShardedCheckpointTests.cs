using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public sealed class ShardedCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("shards-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    void Shard(string file, params string[] names)
    {
        using var w = new SafetensorsWriter();
        foreach (var n in names) w.Add(n, new float[] { n.Length, 1 }, 2);
        w.Save(Path.Combine(_dir, file));
    }

    string Index(string weightMapJson, string name = "model.safetensors.index.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "{\"metadata\": {\"total_size\": 32}, \"weight_map\": " + weightMapJson + "}");
        return path;
    }

    [Fact]
    public void Opens_a_valid_sharded_checkpoint_by_folder_and_by_index()
    {
        Shard("model-00001-of-00002.safetensors", "a.weight", "a.bias");
        Shard("model-00002-of-00002.safetensors", "b.weight");
        Index("{\"a.weight\": \"model-00001-of-00002.safetensors\", \"a.bias\": \"model-00001-of-00002.safetensors\", \"b.weight\": \"model-00002-of-00002.safetensors\"}");
        using var store = SafetensorsWeightStore.Open(_dir);
        Assert.Equal(2, store.Files.Count);
        Assert.Equal(["a.bias", "a.weight", "b.weight"], store.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(6, store.ParameterCount);
        Assert.True(store.TryGet("b.weight", out var t, out var source));
        using (t) Assert.Equal(new[] { 8f, 1 }, t.ToArray());
        Assert.EndsWith("model-00002-of-00002.safetensors", source);
        var cursor = new WeightCursor(store, "sharded");
        using (cursor.Push("a").Get("weight", 2)) { }
        using (cursor.Get("a.bias", 2)) { }
        using (cursor.Push("b").Get("weight", 2)) { }
        cursor.Finish();
    }

    SafetensorsException Reject(string index, params string[] fragments)
    {
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsWeightStore.Open(index));
        Assert.StartsWith(index, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    [Fact]
    public void Missing_shard() =>
        Reject(Index("{\"a\": \"nope.safetensors\"}"), "shard 'nope.safetensors' does not exist");

    [Fact]
    public void Tensor_listed_twice()
    {
        Shard("s1.safetensors", "a");
        Reject(Index("{\"a\": \"s1.safetensors\", \"a\": \"s1.safetensors\"}"), "'a' is listed twice");
    }

    [Fact]
    public void Tensor_present_in_two_shards()
    {
        Shard("s1.safetensors", "a");
        Shard("s2.safetensors", "a", "b");
        Reject(Index("{\"a\": \"s1.safetensors\", \"b\": \"s2.safetensors\"}"), "'a' is present in both s1.safetensors and s2.safetensors");
    }

    [Fact]
    public void Index_and_shards_disagree()
    {
        Shard("s1.safetensors", "a", "extra");
        Shard("s2.safetensors", "b");
        Reject(Index("{\"a\": \"s2.safetensors\", \"b\": \"s2.safetensors\", \"ghost\": \"s1.safetensors\"}"),
            "'a' is in s1.safetensors but the weight_map puts it in s2.safetensors",
            "'extra' is in s1.safetensors but not in the weight_map",
            "puts 'ghost' in s1.safetensors, which has no such tensor");
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("sub/../../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void Shard_paths_must_stay_in_the_folder(string shard) =>
        Reject(Index("{\"a\": \"" + shard + "\"}"), "must be a file name inside the checkpoint folder");

    [Fact]
    public void Malformed_indexes()
    {
        Reject(Index("[1]"), "weight_map must be an object");
        var path = Path.Combine(_dir, "x.safetensors.index.json");
        File.WriteAllText(path, "{\"weight_map\": {\"a\": 1}}");
        Reject(path, "weight_map entry 'a' must name a shard file");
        File.WriteAllText(path, "{\"metadata\": {}}");
        Reject(path, "has no weight_map");
        File.WriteAllText(path, "{\"weight_map\": {");
        Reject(path, "not valid JSON");
        File.WriteAllText(path, "[]");
        Reject(path, "not a JSON object");
    }

    [Fact]
    public void Oversized_and_missing_indexes_are_not_read()
    {
        var path = Path.Combine(_dir, "huge.safetensors.index.json");
        using (var f = new FileStream(path, FileMode.Create)) f.SetLength(SafetensorsHeader.MaxHeaderLength + 1); // sparse
        Reject(path, "over the 100,000,000-byte limit");
        Reject(Path.Combine(_dir, "absent.safetensors.index.json"), "cannot read the index");
    }

    [Fact]
    public void A_bad_shard_is_reported_with_its_own_name()
    {
        File.WriteAllBytes(Path.Combine(_dir, "s1.safetensors"), [1, 2, 3]);
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsWeightStore.Open(Index("{\"a\": \"s1.safetensors\"}")));
        Assert.Contains("s1.safetensors: file is 3 bytes", e.Message);
    }

    [Fact]
    public void Ambiguous_folders_are_errors()
    {
        Shard("one.safetensors", "a");
        using (var s = SafetensorsWeightStore.Open(_dir)) Assert.Single(s.Keys);
        Shard("two.safetensors", "b");
        Assert.Contains("cannot tell which weights", Assert.Throws<SafetensorsException>(() => SafetensorsWeightStore.Open(_dir)).Message);
        Shard("model.fp16.safetensors", "c");
        using (var s = SafetensorsWeightStore.Open(_dir, "fp16")) Assert.Equal(["c"], s.Keys);
    }

    [Fact]
    public void Non_float_tensors_come_out_as_float32()
    {
        var path = Path.Combine(_dir, "ids.safetensors");
        using (var w = new SafetensorsWriter().Add("position_ids", new long[] { 0, 1, 2 }, 1, 3)) w.Save(path);
        using var store = SafetensorsWeightStore.Open(path);
        Assert.True(store.TryGet("position_ids", out var t, out _));
        using (t)
        {
            Assert.Equal(DType.F32, t.DType);
            Assert.Equal(new[] { 0f, 1, 2 }, t.ToArray());
        }
        Assert.Equal(new long[] { 0, 1, 2 }, store.FileOf("position_ids").ReadInt64("position_ids"));
    }
}
