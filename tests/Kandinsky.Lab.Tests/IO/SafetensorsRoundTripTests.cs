using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public sealed class SafetensorsRoundTripTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("st-rt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);
    string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Every_dtype_round_trips()
    {
        var path = PathOf("all.safetensors");
        using var f32 = Tensor.FromArray([1.5f, -2, 3, 4, 5, 6], 2, 3);
        using var f16 = f32.ToFloat16();
        using (var w = new SafetensorsWriter())
        {
            w.Add("f32", f32).Add("f16", f16)
             .AddRaw("bf16", SafetensorsDType.BF16, [2], BitConverter.GetBytes(0xC0003FC0u))
             .Add("f64", new[] { 1.25, -7.5 }, 2)
             .Add("i64", new long[] { long.MinValue, 5, long.MaxValue }, 3, 1)
             .Add("i32", new[] { -3, 4 }, 2)
             .Add("i16", new short[] { -300, 300 }, 1, 2)
             .Add("i8", new sbyte[] { -8, 8 }, 2)
             .Add("u8", new byte[] { 0, 255, 7 }, 3)
             .Add("u16", new ushort[] { 65535, 1, 2, 3 }, 2, 2)
             .Add("bool", new[] { true, false, true }, 3)
             .Add("scalar", new float[] { 42 })
             .Add("empty", Array.Empty<float>(), 0, 4);
            w.Metadata["format"] = "pt";
            w.Save(path);
        }
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(13, file.Tensors.Count);
        using (var t = file.GetTensor("f32"))
        {
            Assert.Equal([2, 3], t.ShapeArray());
            Assert.Equal(f32.ToArray(), t.ToArray());
        }
        using (var t = file.GetTensor("f16")) Assert.Equal(DType.F16, t.DType);
        using (var t = file.GetTensor("bf16")) Assert.Equal(new[] { 1.5f, -2f }, t.ToArray());
        Assert.Equal(new[] { 1.25, -7.5 }, file.ReadFloat64("f64"));
        Assert.Equal(new[] { long.MinValue, 5, long.MaxValue }, file.ReadArray<long>("i64", out var shape));
        Assert.Equal(new long[] { 3, 1 }, shape);
        Assert.Equal(new[] { -3, 4 }, file.ReadInt32("i32"));
        Assert.Equal(new short[] { -300, 300 }, file.ReadInt16("i16"));
        Assert.Equal(new sbyte[] { -8, 8 }, file.ReadInt8("i8"));
        Assert.Equal(new byte[] { 0, 255, 7 }, file.ReadUInt8("u8"));
        Assert.Equal(new ushort[] { 65535, 1, 2, 3 }, file.ReadUInt16("u16"));
        Assert.Equal(new[] { true, false, true }, file.ReadBool("bool"));
        Assert.Equal(new[] { 65535f, 1, 2, 3 }, file.ReadAsFloat32("u16"));
        Assert.Equal(new ushort[] { 65535, 1, 2, 3 }, file.GetSpan<ushort>("u16").ToArray());
        Assert.Equal(new long[] { long.MinValue, 5, long.MaxValue }, file.GetSpan<long>("i64").ToArray());
        Assert.Throws<SafetensorsException>(() => file.GetSpan<int>("u16").Length);
        Assert.Throws<SafetensorsException>(() => file.GetSpan<bool>("bool").Length);
        Assert.Equal(new[] { (float)long.MinValue, 5, (float)long.MaxValue }, file.ReadAsFloat32("i64"));
        Assert.Equal(new[] { 1f, 0, 1 }, file.ReadAsFloat32("bool"));
        Assert.Equal(new[] { 1.5f, -2, 3, 4, 5, 6 }, file.ReadAsFloat32("f16"));
        using (var s = file.GetTensor("scalar")) Assert.Equal(42f, s.Item());
        using (var e = file.GetTensor("empty")) Assert.Equal(0, e.Count);
        using (var conv = file.GetTensorAsFloat32("i8")) Assert.Equal(new[] { -8f, 8 }, conv.ToArray());
        Assert.Throws<SafetensorsException>(() => file.GetTensor("i64"));
        Assert.Throws<SafetensorsException>(() => file.ReadInt32("i64"));
        Assert.Throws<KeyNotFoundException>(() => file.GetTensor("nope"));
    }

    [Fact]
    public void Writes_non_contiguous_tensors_in_row_major_order()
    {
        var path = PathOf("t.safetensors");
        using var a = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        using var at = a.Transpose(0, 1);
        using (var w = new SafetensorsWriter().Add("t", at)) w.Save(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(new[] { 1f, 4, 2, 5, 3, 6 }, file.ReadFloat32("t"));
        Assert.Equal(new long[] { 3, 2 }, file.Info("t").Shape);
    }

    [Fact]
    public unsafe void Tensors_are_views_of_the_mapping_and_keep_it_alive_after_the_file_is_disposed()
    {
        var path = PathOf("m.safetensors");
        using (var src = Tensor.FromArray([1f, 2, 3, 4], 4))
            SafetensorsWriter.Save(path, [new("w", src)]);
        var file = SafetensorsFile.Open(path);
        var t = file.GetTensor("w");
        fixed (byte* first = file.GetBytes("w")) Assert.Equal((nint)first, (nint)t.RawPointer);
        using var view = t.Reshape(2, 2);
        file.Dispose();
        t.Dispose();
        Assert.True(file.IsMappingAlive);
        Assert.Equal(4f, view[1, 1]);
        view.Dispose();
        Assert.False(file.IsMappingAlive);
        Assert.Throws<ObjectDisposedException>(() => file.GetTensor("w"));
    }

    [Fact]
    public void Misaligned_data_is_copied_not_mapped()
    {
        // A hand-written file whose header length (and so data start) is not a multiple of 4.
        var json = "{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[1,5]}," +
                   "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[5,13]}}";
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)json.Length));
        bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(json));
        bytes.Add(7);
        bytes.AddRange(BitConverter.GetBytes((Half)0.5f));
        bytes.AddRange(BitConverter.GetBytes((Half)(-3f)));
        bytes.AddRange(BitConverter.GetBytes(2.5f));
        bytes.AddRange(BitConverter.GetBytes(-1f));
        var path = PathOf("mis.safetensors");
        File.WriteAllBytes(path, [.. bytes]);
        Assert.NotEqual(0, (8 + json.Length + 1) % 2); // the F16 data really is misaligned
        using var file = SafetensorsFile.Open(path);
        using var t = file.GetTensor("w");
        Assert.Equal(new[] { 2.5f, -1f }, t.ToArray());
        Assert.IsType<NativeStorage>(t.Storage);
        Assert.Equal(new[] { 2.5f, -1f }, file.ReadFloat32("w"));
        using var h = file.GetTensor("h");
        Assert.IsType<NativeStorage>(h.Storage);
        Assert.Equal(new[] { 0.5f, -3f }, h.ToArray());
        Assert.Equal(new[] { 0.5f, -3f }, file.ReadAsFloat32("h"));
        Assert.Equal(new byte[] { 7 }, file.ReadUInt8("b"));
    }

    [Fact]
    public void Reads_the_micro_models_weight_files()
    {
        foreach (var path in Directory.EnumerateFiles(Fixtures.MicroModel, "*.safetensors", SearchOption.AllDirectories))
        {
            using var file = SafetensorsFile.Open(path);
            Assert.NotEmpty(file.Tensors);
            foreach (var info in file.Tensors.Where(t => t.DType is SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16).Take(3))
            {
                using var t = file.GetTensor(info.Name);
                Assert.Equal(info.Count, t.Count);
                Assert.All(t.ToArray(), v => Assert.True(float.IsFinite(v)));
            }
        }
    }
}
