#:project ../src/Kandinsky.Lab/Kandinsky.Lab.csproj
#:property PublishAot=false
// Concept bleed as a file-based app, the path Microsoft now recommends to C# users who leave notebooks:
//   dotnet run samples/concept-bleed.cs [-- OUT.html]
// Generates images for "blue hair" with and without a named eye colour on the embedded Kandinsky-Micro, reads the eye
// colour of each, and writes the ConceptBleed view a notebook cell shows (LabFormatting, the one renderer) as a page.
// Ctrl+C stops the running stage within one step. (Not AOT: the library reads its JSON configs by reflection.)
using Kandinsky.Lab.Analysis;
using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;

var outPath = Path.GetFullPath(args.Length > 0 ? args[0] : "out/concept-bleed.html");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

using var lab = KandinskyLab.Micro();
ConceptBleed bleed;
try
{
    bleed = ConceptBleed.Measure(lab, ["a person with blue hair", "a person with blue hair and brown eyes", "a person with brown hair"], "blue",
        imagesPerPrompt: 4, seed: 1000, priorSteps: 25, decoderSteps: 10,
        progress: new Progress<StageProgress>(p => Console.Error.Write($"\r{p.Stage} step {p.Step}/{p.Total}   ")), cancellationToken: cancel.Token);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("\nconcept-bleed: cancelled.");
    return 130;
}
Console.Error.WriteLine();

Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
File.WriteAllText(outPath, $"""
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><title>Concept bleed · Kandinsky.Lab</title></head>
    <body>{LabFormatting.ToHtml(bleed)}</body></html>
    """);
Console.WriteLine(bleed);
Console.WriteLine($"report: {outPath}");
return 0;
