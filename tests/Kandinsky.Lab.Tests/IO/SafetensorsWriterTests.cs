using System.Text;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

public class SafetensorsWriterTests
{
    // Expected bytes are the reference crate's own serialization tests (huggingface/safetensors tensor.rs).
    [Fact]
    public void Writes_the_reference_crates_bytes_for_one_f32_tensor()
    {
        using var t = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 1, 2, 3);
        using var w = new SafetensorsWriter().Add("attn.0", t);
        var bytes = w.ToBytes();
        var header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        Assert.Equal(64, header.Length);
        Assert.Equal(64UL, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal(header, Encoding.UTF8.GetString(bytes, 8, 64));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64 }, bytes[72..84]);
    }

    [Fact]
    public void Pads_the_header_with_spaces_to_a_multiple_of_eight()
    {
        using var t = Tensor.FromArray([0f, 1, 2, 3, 4, 5], 1, 1, 2, 3);
        using var w = new SafetensorsWriter().Add("attn0", t);
        var bytes = w.ToBytes();
        Assert.Equal(72UL, BitConverter.ToUInt64(bytes, 0));
        var header = Encoding.UTF8.GetString(bytes, 8, 72);
        Assert.Equal("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", header);
    }

    [Fact]
    public void Writes_empty_files_and_metadata_like_the_reference()
    {
        using var empty = new SafetensorsWriter();
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32 }, empty.ToBytes());
        using var meta = new SafetensorsWriter();
        meta.Metadata["framework"] = "pt";
        var bytes = meta.ToBytes();
        Assert.Equal(40UL, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal("{\"__metadata__\":{\"framework\":\"pt\"}}     ", Encoding.UTF8.GetString(bytes, 8, 40));
    }

    [Fact]
    public void Orders_tensors_by_descending_dtype_then_name()
    {
        using var w = new SafetensorsWriter()
            .Add("b", new byte[] { 1 }, 1)
            .Add("a", new byte[] { 2 }, 1)
            .Add("z", new long[] { 3 }, 1)
            .Add("m", new ushort[] { 4 }, 1)
            .Add("c", new float[] { 5 }, 1);
        var bytes = w.ToBytes();
        var n = (int)BitConverter.ToUInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        var order = new[] { "\"z\"", "\"c\"", "\"m\"", "\"a\"", "\"b\"" }.Select(k => header.IndexOf(k, StringComparison.Ordinal)).ToArray();
        Assert.All(order, i => Assert.True(i > 0));
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public void Escapes_names_like_serde_json()
    {
        using var w = new SafetensorsWriter().Add("q\"\\\n\u0001é", new byte[] { 1 }, 1);
        var bytes = w.ToBytes();
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToUInt64(bytes, 0));
        Assert.StartsWith("{\"q\\\"\\\\\\n\\u0001é\":", header);
    }

    [Fact]
    public void Rejects_mismatched_raw_data_and_reserved_names()
    {
        using var w = new SafetensorsWriter();
        Assert.Throws<ArgumentException>(() => w.Add("x", new ushort[] { 1, 2, 3 }, 2, 2));
        Assert.Throws<ArgumentException>(() => w.Add("__metadata__", new byte[] { 1 }, 1));
        w.Add("x", new byte[] { 1 }, 1);
        Assert.Throws<ArgumentException>(() => w.Add("x", new byte[] { 1 }, 1));
    }
}
