using System.CommandLine;
using System.Text.Json;
using Kandinsky.Lab.Tokenizers;

namespace Kandinsky.Lab.Cli.Commands;

/// <summary>
/// `kandinsky-lab tokenize --tokenizer DIR [--kind clip|xlmr] (--text T | --jsonl IN --out OUT)`: a readable table
/// for one prompt, or JSON Lines in the golden files' format for many (input lines need a "text" field).
/// </summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizerOption = new Option<DirectoryInfo>("--tokenizer") { Description = "Tokenizer folder (vocab.json + merges.txt, or sentencepiece.bpe.model).", Required = true };
        var kindOption = new Option<string?>("--kind") { Description = "clip or xlmr (default: decided by the files in the folder)." };
        var textOption = new Option<string?>("--text") { Description = "One prompt: print its tokens as a table." };
        var jsonlOption = new Option<FileInfo?>("--jsonl") { Description = "JSON Lines input, one object with a \"text\" field per line." };
        var outOption = new Option<FileInfo?>("--out") { Description = "JSON Lines output for --jsonl (default: standard output)." };
        var command = new Command("tokenize", "Tokenize prompts with the CLIP (prior) or XLM-R (decoder) tokenizer.")
        {
            tokenizerOption, kindOption, textOption, jsonlOption, outOption,
        };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(textOption);
            var jsonl = parse.GetValue(jsonlOption);
            if ((text is null) == (jsonl is null)) throw new UsageException("give exactly one of --text or --jsonl.");
            var folder = Usage.Folder(parse.GetValue(tokenizerOption)!.FullName, tokenizerOption.Name);
            var input = jsonl is null ? null : Usage.File(jsonl.FullName, jsonlOption.Name);
            var output = parse.GetValue(outOption) is { } o ? Usage.OutputFile(o.FullName, outOption.Name) : null;
            ITextTokenizer tokenizer;
            try
            {
                tokenizer = Usage.Validated(() => TextTokenizers.FromFolder(folder, parse.GetValue(kindOption)), ("kind", kindOption));
            }
            catch (IOException e)
            {
                throw new UsageException($"{tokenizerOption.Name}: {e.Message}");   // a folder without the tokenizer's files
            }
            if (text is not null)
            {
                Console.WriteLine(tokenizer.Encode(text).ToString());
                return 0;
            }
            try
            {
                using var writer = output is null ? new StreamWriter(Console.OpenStandardOutput()) : new StreamWriter(output);
                return WriteJsonLines(tokenizer, input!, writer);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"tokenize: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    static int WriteJsonLines(ITextTokenizer tokenizer, string inputPath, TextWriter writer)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(inputPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? text, category = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                    !doc.RootElement.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                    throw new JsonException("expected an object with a string \"text\" field");
                text = t.GetString()!;
                if (doc.RootElement.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String) category = c.GetString();
            }
            catch (JsonException e)
            {
                Console.Error.WriteLine($"tokenize: {inputPath}: line {lineNumber}: {e.Message}");
                return 1;
            }
            writer.WriteLine(ToJson(tokenizer.Encode(text), category));
        }
        return 0;
    }

    /// <summary>One golden-format line: category (if given), text, normalized, tokens, ids, input_ids, attention_mask.</summary>
    public static string ToJson(Tokenization t, string? category = null)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (category is not null) json.WriteString("category", category);
            json.WriteString("text", t.Text);
            WriteArray(json, "normalized", t.NormalizedSegments, json.WriteStringValue);
            WriteArray(json, "tokens", t.Tokens, json.WriteStringValue);
            WriteArray(json, "ids", t.Ids, json.WriteNumberValue);
            WriteArray(json, "input_ids", t.InputIds, json.WriteNumberValue);
            WriteArray(json, "attention_mask", t.AttentionMask, json.WriteNumberValue);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    static void WriteArray<T>(Utf8JsonWriter json, string name, IEnumerable<T> values, Action<T> write)
    {
        json.WriteStartArray(name);
        foreach (var v in values) write(v);
        json.WriteEndArray();
    }
}
