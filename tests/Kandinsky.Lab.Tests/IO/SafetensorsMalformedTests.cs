using System.Text;
using Kandinsky.Lab.Tensors.IO;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>Every way a header can be wrong is a <see cref="SafetensorsException"/> naming the file and the problem.</summary>
public sealed class SafetensorsMalformedTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("st-bad-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A file of the 8-byte prefix (N = header length unless overridden), the header text and <paramref name="dataLength"/> data bytes.</summary>
    static byte[] Build(string header, int dataLength, ulong? n = null) => Build(Encoding.UTF8.GetBytes(header), dataLength, n);

    static byte[] Build(byte[] header, int dataLength, ulong? n = null)
    {
        var bytes = new byte[8 + header.Length + dataLength];
        BitConverter.TryWriteBytes(bytes, n ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < dataLength; i++) bytes[8 + header.Length + i] = (byte)i;
        return bytes;
    }

    static string T(string name, string dtype, string shape, string offsets) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":{offsets}}}";

    /// <summary>Writes the bytes to a file and checks both the file reader and the in-memory parser reject them.</summary>
    SafetensorsException Reject(byte[] bytes, params string[] expectedFragments)
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SafetensorsException>(() => { using var f = SafetensorsFile.Open(path); });
        Assert.StartsWith(path + ":", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        foreach (var fragment in expectedFragments) Assert.Contains(fragment, e.Message);
        var inMemory = Assert.Throws<SafetensorsException>(() => SafetensorsHeader.Parse(bytes, "mem"));
        Assert.Equal(e.Message.Replace(path, "mem"), inMemory.Message);
        return e;
    }

    SafetensorsHeader Accept(byte[] bytes)
    {
        var path = Path.Combine(_dir, "good.safetensors");
        File.WriteAllBytes(path, bytes);
        using var f = SafetensorsFile.Open(path);
        return f.Header;
    }

    [Fact] public void Empty_file() => Reject([], "0 bytes, shorter than the 8-byte");
    [Fact] public void Short_file() => Reject([2, 0, 0, 0, 0], "5 bytes");
    [Fact] public void Huge_header_length() => Reject(Build("{}", 0, ulong.MaxValue), "exceeds the 100,000,000-byte limit");
    [Fact] public void Header_length_over_the_cap() => Reject(Build("{}", 0, 100_000_001), "exceeds");
    [Fact] public void Zero_header_length() => Reject(Build("", 0, 0), "header length 0 is too small");
    [Fact] public void Header_length_past_the_end_of_the_file() => Reject(Build("{}", 0, 50), "runs past the end of the file (10 bytes)");

    [Fact]
    public void Non_utf8_header() => Reject(Build([(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'], 0), "not valid UTF-8");

    [Fact] public void Byte_order_mark() => Reject(Build("\uFEFF{}", 0), "byte-order mark");
    [Fact] public void Bad_json() => Reject(Build("{\"a\":", 0), "not valid JSON");
    [Fact] public void Trailing_garbage_after_json() => Reject(Build("{} x", 0), "not valid JSON");
    [Fact] public void Trailing_comma() => Reject(Build("{\"__metadata__\":{},}", 0), "not valid JSON");
    [Fact] public void Json_array() => Reject(Build("[1, 2]", 0), "not an object (starts with an array)");
    [Fact] public void Json_string() => Reject(Build("\"abc\"", 0), "not an object");
    [Fact] public void Json_number() => Reject(Build("12", 0), "not an object");

    [Fact]
    public void Deep_nesting_is_rejected_without_recursion()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        Reject(Build("{\"a\":{\"dtype\":\"F32\",\"x\":" + deep + "}}", 0), "not valid JSON");
        Reject(Build(new string('{', 50_000), 0), "not valid JSON");
    }

    [Fact]
    public void Duplicate_names() =>
        Reject(Build("{" + T("a", "U8", "[1]", "[0,1]") + "," + T("a", "U8", "[1]", "[1,2]") + "}", 2), "duplicate entry 'a'");

    [Fact]
    public void Duplicate_names_written_with_escapes() =>
        Reject(Build("{" + T("a", "U8", "[1]", "[0,1]") + "," + T("\\u0061", "U8", "[1]", "[1,2]") + "}", 2), "duplicate entry 'a'");

    [Fact]
    public void Names_are_printed_on_one_line_without_control_characters()
    {
        var e = Reject(Build("{" + T("a\\n\\u001b[31mb", "X", "[1]", "[0,1]") + "}", 1), "tensor 'a\\u000a\\u001b[31mb': unknown dtype 'X'");
        Assert.Equal("a\n\u001b[31mb", e.Tensor);
        var longName = new string('n', 5000);
        var message = Reject(Build("{" + T(longName, "X", "[1]", "[0,1]") + "}", 1)).Message;
        Assert.Contains(new string('n', 120) + "…'", message);
        Assert.True(message.Length < 400);
    }

    [Fact] public void Duplicate_metadata() => Reject(Build("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "duplicate entry '__metadata__'");
    [Fact] public void Duplicate_field() => Reject(Build("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "tensor 'a': duplicate field 'dtype'");
    [Fact] public void Unknown_dtype() => Reject(Build("{" + T("w", "F128", "[1]", "[0,16]") + "}", 16), "tensor 'w': unknown dtype 'F128'");
    [Fact] public void Dtype_names_are_case_sensitive() => Reject(Build("{" + T("w", "f32", "[1]", "[0,4]") + "}", 4), "unknown dtype 'f32'");
    [Fact] public void Dtype_not_a_string() => Reject(Build("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "dtype must be a string, found number 4");
    [Fact] public void Negative_shape() => Reject(Build("{" + T("w", "F32", "[-1]", "[0,4]") + "}", 4), "tensor 'w': shape must hold non-negative integers, found number -1");
    [Fact] public void Float_shape() => Reject(Build("{" + T("w", "F32", "[1.0]", "[0,4]") + "}", 4), "found number 1.0");
    [Fact] public void Exponent_shape() => Reject(Build("{" + T("w", "F32", "[1e0]", "[0,4]") + "}", 4), "found number 1e0");
    [Fact] public void Shape_beyond_64_bits() => Reject(Build("{" + T("w", "F32", "[18446744073709551616]", "[0,4]") + "}", 4), "non-negative integers");
    [Fact] public void Shape_not_an_array() => Reject(Build("{" + T("w", "F32", "4", "[0,16]") + "}", 16), "shape must be an array");
    [Fact] public void Overflowing_element_count() => Reject(Build("{" + T("w", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 4), "element count", "overflows");
    [Fact] public void Overflowing_byte_count() => Reject(Build("{" + T("w", "F64", "[4611686018427387904]", "[0,4]") + "}", 4), "byte size", "overflows");
    [Fact] public void Missing_field() => Reject(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'w': missing field 'data_offsets'");
    [Fact] public void Three_offsets() => Reject(Build("{" + T("w", "F32", "[1]", "[0,4,8]") + "}", 4), "data_offsets must be [begin, end], found 3");
    [Fact] public void Entry_not_an_object() => Reject(Build("{\"w\":[1,2]}", 0), "tensor 'w': entry must be an object");
    [Fact] public void Offsets_not_matching_size() => Reject(Build("{" + T("w", "F32", "[2]", "[0,4]") + "}", 4), "span 4 bytes, but F32 [2] needs 8");
    [Fact] public void Offsets_out_of_bounds() => Reject(Build("{" + T("w", "F32", "[250]", "[0,1000]") + "}", 8), "tensor 'w'", "run past the end of the data section (8 bytes)", "truncated");
    [Fact] public void Reversed_offsets() => Reject(Build("{" + T("w", "F32", "[0]", "[8,0]") + "}", 8), "tensor 'w': data_offsets [8, 0] are reversed");
    [Fact] public void Huge_offsets() => Reject(Build("{" + T("w", "U8", "[0]", "[18446744073709551615,18446744073709551615]") + "}", 0), "tensor 'w'");

    [Fact]
    public void Overlapping_offsets() =>
        Reject(Build("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[4,12]") + "}", 12), "tensor 'b'", "overlap");

    [Fact]
    public void Gapped_offsets() =>
        Reject(Build("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[12,20]") + "}", 20), "tensor 'b'", "gap");

    [Fact] public void Data_not_starting_at_zero() => Reject(Build("{" + T("a", "F32", "[1]", "[4,8]") + "}", 8), "tensor 'a'", "gap");
    [Fact] public void Trailing_bytes() => Reject(Build("{" + T("a", "F32", "[2]", "[0,8]") + "}", 12), "12 bytes but the tensors cover 8: 4 trailing bytes");
    [Fact] public void Data_without_tensors() => Reject(Build("{}", 4), "4 trailing bytes");
    [Fact] public void Truncated_data() => Reject(Build("{" + T("a", "F32", "[2]", "[0,8]") + "," + T("b", "F32", "[2]", "[8,16]") + "}", 12), "tensor 'b'", "truncated");
    [Fact] public void Metadata_with_a_number() => Reject(Build("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__ value of 'a' must be a string, found number 1");
    [Fact] public void Metadata_with_an_object() => Reject(Build("{\"__metadata__\":{\"a\":{}}}", 0), "must be a string, found an object");
    [Fact] public void Metadata_as_array() => Reject(Build("{\"__metadata__\":[\"a\"]}", 0), "__metadata__ must be an object");
    [Fact] public void Metadata_as_string() => Reject(Build("{\"__metadata__\":\"pt\"}", 0), "__metadata__ must be an object");
    [Fact] public void Lone_surrogate_escape() => Reject(Build("{\"\\ud800\":{}}", 0), "not valid JSON");

    [Fact]
    public void Accepts_what_the_reference_accepts()
    {
        // Padding spaces, unknown tensor fields, null metadata, zero-length and scalar tensors, any key order.
        var h = Accept(Build("{\"__metadata__\":null,\"s\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"F32\",\"extra\":[{\"x\":1}]},"
                             + T("z", "U8", "[0,5]", "[4,4]") + "}    ", 4));
        Assert.Empty(h.Metadata);
        Assert.Equal(["s", "z"], h.Tensors.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Empty(Accept(Build("{}", 0)).Tensors);
        Assert.Equal("x", Accept(Build(" {\"__metadata__\":{\"k\":\"x\"}}\n\t ", 0)).Metadata["k"]);
        // Tensors may be listed in any order; the reader sorts them by offset.
        var sorted = Accept(Build("{" + T("b", "U8", "[1]", "[1,2]") + "," + T("a", "U8", "[1]", "[0,1]") + "}", 2));
        Assert.Equal(["a", "b"], sorted.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Missing_file_is_a_clean_error()
    {
        var path = Path.Combine(_dir, "missing.safetensors");
        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path));
        Assert.Contains("cannot open", e.Message);
    }
}
