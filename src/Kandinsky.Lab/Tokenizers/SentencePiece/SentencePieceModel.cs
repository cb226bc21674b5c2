namespace Kandinsky.Lab.Tokenizers.SentencePiece;

/// <summary>ModelProto.SentencePiece.Type.</summary>
public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>TrainerSpec.ModelType.</summary>
public enum SentencePieceModelType { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

/// <summary>One vocabulary entry: the piece (with <c>▁</c> for space), its log-probability score and type.</summary>
public sealed record SentencePieceEntry(string Piece, float Score, PieceType Type);

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto) that encoding needs, read with our own
/// wire-format reader: pieces (1), trainer_spec (2) and normalizer_spec (3); other fields are skipped. Defaults are
/// the proto's declared defaults.
/// </summary>
public sealed class SentencePieceModel
{
    public IReadOnlyList<SentencePieceEntry> Pieces { get; private init; } = [];
    public SentencePieceModelType ModelType { get; private init; } = SentencePieceModelType.Unigram;
    public int UnkId { get; private init; }
    public int BosId { get; private init; } = 1;
    public int EosId { get; private init; } = 2;
    public int PadId { get; private init; } = -1;
    public bool ByteFallback { get; private init; }
    public bool TreatWhitespaceAsSuffix { get; private init; }
    public string NormalizerName { get; private init; } = "";
    public byte[] PrecompiledCharsmap { get; private init; } = [];
    public bool AddDummyPrefix { get; private init; } = true;
    public bool RemoveExtraWhitespaces { get; private init; } = true;
    public bool EscapeWhitespaces { get; private init; } = true;

    public static SentencePieceModel Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerFileException(path, "SentencePiece model file not found");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a serialized ModelProto; <paramref name="source"/> names it in error messages.</summary>
    public static SentencePieceModel Parse(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return ParseModel(bytes);
        }
        catch (ProtobufFormatException e)
        {
            throw new TokenizerFileException(source, $"not a valid SentencePiece model: {e.Message}", e);
        }
    }

    static SentencePieceModel ParseModel(ReadOnlySpan<byte> bytes)
    {
        var pieces = new List<SentencePieceEntry>();
        var trainer = new TrainerFields();
        var normalizer = new NormalizerFields();
        var reader = new ProtobufReader(bytes);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited):
                    var pieceBytes = reader.ReadBytes(out var at);
                    pieces.Add(ParsePiece(pieceBytes, at, pieces.Count));
                    break;
                case (2, WireType.LengthDelimited):
                    trainer = ParseTrainer(reader.ReadBytes(out at), at);
                    break;
                case (3, WireType.LengthDelimited):
                    normalizer = ParseNormalizer(reader.ReadBytes(out at), at);
                    break;
                case (1 or 2 or 3, _):
                    throw new ProtobufFormatException($"ModelProto field {field} has wire type {wire}, expected a message");
                default:
                    reader.Skip(wire);
                    break;
            }
        }
        if (pieces.Count == 0) throw new ProtobufFormatException("the model has no pieces");
        var model = new SentencePieceModel
        {
            Pieces = pieces,
            ModelType = trainer.ModelType,
            UnkId = trainer.UnkId,
            BosId = trainer.BosId,
            EosId = trainer.EosId,
            PadId = trainer.PadId,
            ByteFallback = trainer.ByteFallback,
            TreatWhitespaceAsSuffix = trainer.TreatWhitespaceAsSuffix,
            NormalizerName = normalizer.Name,
            PrecompiledCharsmap = normalizer.Charsmap,
            AddDummyPrefix = normalizer.AddDummyPrefix,
            RemoveExtraWhitespaces = normalizer.RemoveExtraWhitespaces,
            EscapeWhitespaces = normalizer.EscapeWhitespaces,
        };
        model.Validate();
        return model;
    }

    void Validate()
    {
        if (UnkId < 0 || UnkId >= Pieces.Count)
            throw new ProtobufFormatException($"trainer_spec.unk_id {UnkId} is outside the {Pieces.Count} pieces");
        if (Pieces[UnkId].Type != PieceType.Unknown)
            throw new ProtobufFormatException($"piece {UnkId} (\"{Pieces[UnkId].Piece}\") is the unk_id but has type {Pieces[UnkId].Type}");
        foreach (var (id, name) in new[] { (BosId, "bos_id"), (EosId, "eos_id"), (PadId, "pad_id") })
            if (id >= Pieces.Count) throw new ProtobufFormatException($"trainer_spec.{name} {id} is outside the {Pieces.Count} pieces");
    }

    static SentencePieceEntry ParsePiece(ReadOnlySpan<byte> bytes, int offset, int index)
    {
        var reader = new ProtobufReader(bytes, offset);
        string? piece = null;
        var score = 0f;
        var type = PieceType.Normal;
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): piece = reader.ReadString(); break;
                case (2, WireType.Fixed32): score = reader.ReadFloat(); break;
                case (3, WireType.Varint):
                    var value = reader.ReadInt32();
                    if (!Enum.IsDefined((PieceType)value))
                        throw new ProtobufFormatException($"piece {index} at byte {offset} has unknown type {value}");
                    type = (PieceType)value;
                    break;
                case (1 or 2 or 3, _):
                    throw new ProtobufFormatException($"piece {index} at byte {offset}: field {field} has wrong wire type {wire}");
                default: reader.Skip(wire); break;
            }
        }
        if (string.IsNullOrEmpty(piece)) throw new ProtobufFormatException($"piece {index} at byte {offset} has no text");
        if (!float.IsFinite(score)) throw new ProtobufFormatException($"piece {index} (\"{piece}\") has a non-finite score");
        return new SentencePieceEntry(piece, score, type);
    }

    sealed class TrainerFields
    {
        public SentencePieceModelType ModelType = SentencePieceModelType.Unigram;
        public int UnkId, BosId = 1, EosId = 2, PadId = -1;
        public bool ByteFallback, TreatWhitespaceAsSuffix;
    }

    static TrainerFields ParseTrainer(ReadOnlySpan<byte> bytes, int offset)
    {
        var fields = new TrainerFields();
        var reader = new ProtobufReader(bytes, offset);
        while (reader.TryReadTag(out var field, out var wire))
        {
            if (wire != WireType.Varint || field is not (3 or 24 or 35 or 40 or 41 or 42 or 43))
            {
                reader.Skip(wire);
                continue;
            }
            var value = reader.ReadInt32();
            switch (field)
            {
                case 3:
                    if (!Enum.IsDefined((SentencePieceModelType)value))
                        throw new ProtobufFormatException($"trainer_spec.model_type {value} is unknown");
                    fields.ModelType = (SentencePieceModelType)value;
                    break;
                case 24: fields.TreatWhitespaceAsSuffix = value != 0; break;
                case 35: fields.ByteFallback = value != 0; break;
                case 40: fields.UnkId = value; break;
                case 41: fields.BosId = value; break;
                case 42: fields.EosId = value; break;
                case 43: fields.PadId = value; break;
            }
        }
        return fields;
    }

    sealed class NormalizerFields
    {
        public string Name = "";
        public byte[] Charsmap = [];
        public bool AddDummyPrefix = true, RemoveExtraWhitespaces = true, EscapeWhitespaces = true;
    }

    static NormalizerFields ParseNormalizer(ReadOnlySpan<byte> bytes, int offset)
    {
        var fields = new NormalizerFields();
        var reader = new ProtobufReader(bytes, offset);
        while (reader.TryReadTag(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, WireType.LengthDelimited): fields.Name = reader.ReadString(); break;
                case (2, WireType.LengthDelimited): fields.Charsmap = reader.ReadBytes(out _).ToArray(); break;
                case (3, WireType.Varint): fields.AddDummyPrefix = reader.ReadBool(); break;
                case (4, WireType.Varint): fields.RemoveExtraWhitespaces = reader.ReadBool(); break;
                case (5, WireType.Varint): fields.EscapeWhitespaces = reader.ReadBool(); break;
                default: reader.Skip(wire); break;
            }
        }
        return fields;
    }
}
