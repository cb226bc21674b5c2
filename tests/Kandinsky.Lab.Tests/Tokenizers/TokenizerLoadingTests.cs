using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tokenizers;
using Kandinsky.Lab.Tokenizers.Clip;
using Kandinsky.Lab.Tokenizers.SentencePiece;

namespace Kandinsky.Lab.Tests.Tokenizers;

/// <summary>Loading: ids from the files, and every broken file reported with its path and the problem.</summary>
public sealed class TokenizerLoadingTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("kandinsky-tokenizer-tests-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    static string ClipFixture => Path.Combine(Fixtures.Root, "tokenizers", "clip");
    static string MicroPrior => Path.Combine(Fixtures.MicroModel, "prior", "tokenizer");
    static string MicroDecoder => Path.Combine(Fixtures.MicroModel, "decoder", "tokenizer");
    static string StandinModel => Path.Combine(Fixtures.Root, "tokenizers", "xlm-roberta-standin", "sentencepiece.bpe.model");

    string CopyClip(string from)
    {
        var dir = Directory.CreateDirectory(Path.Combine(scratch, Guid.NewGuid().ToString("N"))).FullName;
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    [Fact]
    public void Micro_prior_special_ids_come_from_its_config_files()
    {
        var decoder = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(MicroPrior, "tokenizer_config.json")))
            .RootElement.GetProperty("added_tokens_decoder");
        int IdOf(string content) => int.Parse(decoder.EnumerateObject().Single(p => p.Value.GetProperty("content").GetString() == content).Name);
        var clip = ClipTokenizer.FromFolder(MicroPrior);
        Assert.Equal((IdOf("<|startoftext|>"), IdOf("<|endoftext|>"), IdOf("!")), (clip.BosId, clip.EosId, clip.PadId));
        Assert.Equal(IdOf("!"), clip.Encode("wow!").Ids[^1]);
    }

    [Fact]
    public void Micro_decoder_mask_follows_its_piece_count()
    {
        var xlmr = XlmRobertaTokenizer.FromFolder(MicroDecoder);
        Assert.Equal(xlmr.Model.Pieces.Count + 1, xlmr.MaskId);
        Assert.Equal(xlmr.MaskId, xlmr.Encode("a <mask>").Ids[^1]);
        Assert.IsAssignableFrom<XlmRobertaTokenizer>(TextTokenizers.FromFolder(MicroDecoder));
        Assert.IsAssignableFrom<ClipTokenizer>(TextTokenizers.FromFolder(MicroPrior));
    }

    [Fact]
    public void Mask_takes_the_whitespace_before_it()
    {
        var xlmr = XlmrGoldenTests.Tokenizer.Value;
        Assert.Equal(xlmr.Encode("a<mask>").Ids, xlmr.Encode("a \t <mask>").Ids);
    }

    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    public void Missing_clip_file_is_named(string file)
    {
        var dir = CopyClip(MicroPrior);
        File.Delete(Path.Combine(dir, file));
        var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.FromFolder(dir));
        Assert.EndsWith(file, e.FilePath);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Corrupt_vocab_is_reported_as_json_problem()
    {
        var dir = CopyClip(MicroPrior);
        File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\"a\": 1, \"b\": ");
        var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.FromFolder(dir));
        Assert.Contains("vocab.json", e.Message);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void Corrupt_merges_line_is_reported_with_its_number()
    {
        var dir = CopyClip(MicroPrior);
        var lines = File.ReadAllLines(Path.Combine(dir, "merges.txt"));
        lines[2] = "three parts here";
        File.WriteAllLines(Path.Combine(dir, "merges.txt"), lines);
        var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.FromFolder(dir));
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Special_token_missing_from_vocab_is_reported()
    {
        var dir = CopyClip(MicroPrior);
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), "{\"pad_token\": \"<nope>\"}");
        File.Delete(Path.Combine(dir, "tokenizer_config.json"));
        var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.FromFolder(dir));
        Assert.Contains("<nope>", e.Message);
    }

    [Fact]
    public void Missing_sentencepiece_model_is_named()
    {
        var e = Assert.Throws<TokenizerFileException>(() => XlmRobertaTokenizer.FromFolder(scratch));
        Assert.EndsWith("sentencepiece.bpe.model", e.FilePath);
        Assert.Throws<TokenizerFileException>(() => TextTokenizers.FromFolder(scratch));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(200_000)]
    public void Truncated_sentencepiece_model_is_a_clean_error(int keep)
    {
        var path = Path.Combine(scratch, "truncated.model");
        File.WriteAllBytes(path, File.ReadAllBytes(StandinModel).AsSpan(0, keep).ToArray());
        var e = Assert.Throws<TokenizerFileException>(() => XlmRobertaTokenizer.FromModelFile(path));
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Text_file_instead_of_model_is_a_clean_error()
    {
        var path = Path.Combine(scratch, "sentencepiece.bpe.model");
        File.WriteAllText(path, "this is not a protobuf\n");
        var e = Assert.Throws<TokenizerFileException>(() => XlmRobertaTokenizer.FromFolder(scratch));
        Assert.Contains("SentencePiece", e.Message);
    }

    /// <summary>Mutated model bytes: loading either succeeds or fails with a TokenizerFileException; encoding never throws.</summary>
    [Fact]
    public void Fuzzed_model_bytes_give_clean_errors_only()
    {
        var original = File.ReadAllBytes(Path.Combine(MicroDecoder, "sentencepiece.bpe.model"));
        var mutation = from kind in Gen.Choose(0, 3)
                       from count in Gen.Choose(1, 8)
                       from positions in Gen.ArrayOf(Gen.Choose(0, original.Length - 1), count)
                       from values in Gen.ArrayOf(Gen.Choose(0, 255), count)
                       select (kind, positions, values);
        Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            var bytes = Mutate(original, m.kind, m.positions, m.values);
            XlmRobertaTokenizer tokenizer;
            try
            {
                tokenizer = XlmRobertaTokenizer.FromModelFile(WriteScratch(bytes));
            }
            catch (TokenizerFileException)
            {
                return true;
            }
            foreach (var text in new[] { "a cat in a hat", "Ünïcödé ½ ＡＢＣ\u200B", "", "<mask> 猫" })
            {
                var t = tokenizer.Encode(text);
                if (t.InputIds.Count != tokenizer.MaxLength) return false;
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    string WriteScratch(byte[] bytes)
    {
        var path = Path.Combine(scratch, "fuzz.model");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] Mutate(byte[] original, int kind, int[] positions, int[] values)
    {
        switch (kind)
        {
            case 0: // overwrite bytes
                var copy = (byte[])original.Clone();
                for (var i = 0; i < positions.Length; i++) copy[positions[i]] = (byte)values[i];
                return copy;
            case 1: // truncate
                return original.AsSpan(0, positions[0]).ToArray();
            case 2: // insert bytes
                var list = original.ToList();
                for (var i = 0; i < positions.Length; i++) list.Insert(Math.Min(positions[i], list.Count), (byte)values[i]);
                return list.ToArray();
            default: // delete a range
                var start = positions[0];
                var length = Math.Min(values[0] + 1, original.Length - start);
                return [.. original.AsSpan(0, start), .. original.AsSpan(start + length)];
        }
    }

    /// <summary>Mutations aimed at the small messages (pieces, specs) rather than the big charsmap.</summary>
    [Fact]
    public void A_charsmap_leaf_outside_the_trie_fails_at_load_not_at_encode()
    {
        // The case the fuzz test below once found: a byte of the precompiled charsmap turned a trie unit's offset
        // into a leaf index past the end of the trie, which surfaced only when a prompt reached that unit.
        var bytes = File.ReadAllBytes(Path.Combine(MicroDecoder, "sentencepiece.bpe.model"));
        bytes[5042] = 31;
        bytes[242158] = 124;
        var path = WriteScratch(bytes);
        var error = Assert.Throws<TokenizerFileException>(() => XlmRobertaTokenizer.FromModelFile(path));
        Assert.Contains("outside the", error.Message);
    }

    [Fact]
    public void Fuzzed_model_headers_give_clean_errors_only()
    {
        var original = File.ReadAllBytes(Path.Combine(MicroDecoder, "sentencepiece.bpe.model"));
        var mutation = from position in Gen.Choose(0, Math.Min(6000, original.Length - 1))
                       from value in Gen.Choose(0, 255)
                       from position2 in Gen.Choose(original.Length - 400, original.Length - 1)
                       from value2 in Gen.Choose(0, 255)
                       select (position, value, position2, value2);
        Prop.ForAll(mutation.ToArbitrary(), m =>
        {
            var bytes = (byte[])original.Clone();
            bytes[m.position] = (byte)m.value;
            bytes[m.position2] = (byte)m.value2;
            try
            {
                var tokenizer = XlmRobertaTokenizer.FromModelFile(WriteScratch(bytes));
                return tokenizer.Encode("a photo of a cat, 1920x1080").InputIds.Count == tokenizer.MaxLength;
            }
            catch (TokenizerFileException)
            {
                return true;
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
