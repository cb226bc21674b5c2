using System.Buffers.Binary;
using System.Text;

namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>Protobuf wire-format problem; the message says what and at which byte offset.</summary>
public sealed class ProtobufFormatException(string message) : FormatException(message);

/// <summary>
/// A minimal reader of the protobuf wire format (varint, 64-bit, length-delimited, 32-bit fields), enough for
/// SentencePiece's ModelProto. Every read is bounds-checked and reports the byte offset of a problem.
/// </summary>
internal ref struct ProtobufReader
{
    readonly ReadOnlySpan<byte> data;
    readonly int baseOffset;
    int position;

    public ProtobufReader(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        this.data = data;
        this.baseOffset = baseOffset;
        position = 0;
    }

    public readonly bool AtEnd => position >= data.Length;
    public readonly int Offset => baseOffset + position;

    /// <summary>Reads the next field key; returns false at the end of the message.</summary>
    public bool TryReadTag(out int fieldNumber, out WireType wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        if (AtEnd) return false;
        var start = Offset;
        var key = ReadVarint();
        fieldNumber = (int)(key >> 3);
        wireType = (WireType)(key & 7);
        if (fieldNumber <= 0 || key >> 3 > int.MaxValue) throw new ProtobufFormatException($"invalid field number {key >> 3} at byte {start}");
        if (wireType is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw new ProtobufFormatException($"unsupported wire type {(int)wireType} for field {fieldNumber} at byte {start}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (AtEnd) throw new ProtobufFormatException($"truncated varint at byte {Offset}");
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new ProtobufFormatException($"varint longer than 10 bytes at byte {Offset}");
    }

    public int ReadInt32() => unchecked((int)ReadVarint());

    public bool ReadBool() => ReadVarint() != 0;

    public float ReadFloat()
    {
        Require(4, "32-bit value");
        var value = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(position, 4));
        position += 4;
        return value;
    }

    /// <summary>A length-delimited field's bytes and the absolute offset where they start.</summary>
    public ReadOnlySpan<byte> ReadBytes(out int start)
    {
        var lengthAt = Offset;
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
            throw new ProtobufFormatException($"length {length} at byte {lengthAt} runs past the end of the enclosing message ({data.Length - position} bytes left)");
        start = Offset;
        var bytes = data.Slice(position, (int)length);
        position += (int)length;
        return bytes;
    }

    public string ReadString()
    {
        var bytes = ReadBytes(out var start);
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtobufFormatException($"string at byte {start} is not valid UTF-8");
        }
    }

    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Require(8, "64-bit value"); position += 8; break;
            case WireType.LengthDelimited: ReadBytes(out _); break;
            case WireType.Fixed32: Require(4, "32-bit value"); position += 4; break;
        }
    }

    readonly void Require(int count, string what)
    {
        if (data.Length - position < count) throw new ProtobufFormatException($"truncated {what} at byte {Offset}");
    }
}

internal enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 }
