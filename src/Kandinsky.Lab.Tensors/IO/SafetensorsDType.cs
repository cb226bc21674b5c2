namespace Kandinsky.Lab.Tensors.IO;

/// <summary>
/// Element types of the safetensors format, in the reference crate's order (increasing alignment):
/// the writer sorts tensors by this order descending, then by name, exactly as Python's <c>save_file</c> does.
/// </summary>
public enum SafetensorsDType
{
    Bool, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}

public static class SafetensorsDTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8 or SafetensorsDType.F8E5M2 or SafetensorsDType.F8E4M3 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        _ => 8,
    };

    /// <summary>The spelling in a safetensors header ("F32", "BOOL", "F8_E4M3" …).</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool => "BOOL",
        SafetensorsDType.F8E5M2 => "F8_E5M2",
        SafetensorsDType.F8E4M3 => "F8_E4M3",
        _ => dtype.ToString(),
    };

    static readonly Dictionary<string, SafetensorsDType> ByName =
        Enum.GetValues<SafetensorsDType>().ToDictionary(d => d.HeaderName(), StringComparer.Ordinal);

    /// <summary>Parses a header dtype name (case-sensitive, like the reference crate).</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype) => ByName.TryGetValue(name, out dtype);

    /// <summary>The engine dtype for F32/F16/BF16, the types a <see cref="Tensor"/> can hold; null otherwise.</summary>
    public static DType? ToTensorDType(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => DType.F32,
        SafetensorsDType.F16 => DType.F16,
        SafetensorsDType.BF16 => DType.BF16,
        _ => null,
    };

    public static SafetensorsDType ToSafetensors(this DType dtype) => dtype switch
    {
        DType.F32 => SafetensorsDType.F32,
        DType.F16 => SafetensorsDType.F16,
        _ => SafetensorsDType.BF16,
    };

    /// <summary>The safetensors dtype of a C# element type (float → F32, Half → F16, ushort → U16, bool → BOOL …).</summary>
    public static SafetensorsDType Of<T>() where T : unmanaged
    {
        var t = typeof(T);
        if (t == typeof(float)) return SafetensorsDType.F32;
        if (t == typeof(Half)) return SafetensorsDType.F16;
        if (t == typeof(double)) return SafetensorsDType.F64;
        if (t == typeof(long)) return SafetensorsDType.I64;
        if (t == typeof(ulong)) return SafetensorsDType.U64;
        if (t == typeof(int)) return SafetensorsDType.I32;
        if (t == typeof(uint)) return SafetensorsDType.U32;
        if (t == typeof(short)) return SafetensorsDType.I16;
        if (t == typeof(ushort)) return SafetensorsDType.U16;
        if (t == typeof(sbyte)) return SafetensorsDType.I8;
        if (t == typeof(byte)) return SafetensorsDType.U8;
        if (t == typeof(bool)) return SafetensorsDType.Bool;
        throw new ArgumentException($"No safetensors dtype for element type {t.Name}.");
    }
}

/// <summary>A rejected or unusable safetensors file (or sharded index); the message names the file, the tensor and the problem.</summary>
public sealed class SafetensorsException(string message, string? file = null, string? tensor = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string? File { get; } = file;
    public string? Tensor { get; } = tensor;
}
