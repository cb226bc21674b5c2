using System.Buffers.Binary;
using System.Text;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Tests.Tokenizers;

/// <summary>
/// The real XLM-R model has 250,000 pieces. Without the file, the stand-in grows to that size: extra pieces
/// (private-use strings no prompt contains, at the lowest score so the unknown score stays the same) are appended
/// as repeated field 1 entries. Everything read from the file must follow: the piece count and the mask id.
/// </summary>
public sealed class LargeModelTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("kandinsky-large-spm-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80) { bytes.Add((byte)(value | 0x80)); value >>= 7; }
        bytes.Add((byte)value);
        return bytes.ToArray();
    }

    static byte[] PieceMessage(string piece, float score)
    {
        var text = Encoding.UTF8.GetBytes(piece);
        var inner = new List<byte> { 0x0A };
        inner.AddRange(Varint((ulong)text.Length));
        inner.AddRange(text);
        inner.Add(0x15);
        var f = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f, score);
        inner.AddRange(f);
        var outer = new List<byte> { 0x0A };
        outer.AddRange(Varint((ulong)inner.Count));
        outer.AddRange(inner);
        return outer.ToArray();
    }

    [Fact]
    public void A_250k_piece_model_loads_and_encodes_like_the_standin()
    {
        var standinPath = Path.Combine(Fixtures.Root, "tokenizers", "xlm-roberta-standin", "sentencepiece.bpe.model");
        var bytes = File.ReadAllBytes(standinPath);
        var standin = SentencePieceModel.Parse(bytes, standinPath);
        var minScore = standin.Pieces.Where(p => p.Type == PieceType.Normal).Min(p => p.Score);
        var grown = new MemoryStream();
        grown.Write(bytes);
        for (var i = standin.Pieces.Count; i < 250_000; i++)
            grown.Write(PieceMessage($"\uE000{i:X5}\uE001", minScore));
        var path = Path.Combine(scratch, "sentencepiece.bpe.model");
        File.WriteAllBytes(path, grown.ToArray());

        var large = XlmRobertaTokenizer.FromModelFile(path);
        Assert.Equal(250_000, large.Model.Pieces.Count);
        Assert.Equal(250_001, large.MaskId);
        Assert.Equal(250_002, large.VocabSize);
        var small = XlmrGoldenTests.Tokenizer.Value;
        foreach (var line in GoldenLine.Read("xlmr-standin.jsonl"))
        {
            var expected = small.Encode(line.Text).Ids.Select(id => id == small.MaskId ? large.MaskId : id);
            Assert.Equal(expected, large.Encode(line.Text).Ids);
        }
    }
}
