using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;

namespace Kandinsky.Lab.Cli;

/// <summary>A bad argument, found by a verb's validate step before any work: the message names it and what is allowed.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The one way the CLI rejects bad usage: <see cref="Guard"/> runs every verb's action behind a check that turns a parse
/// error (unknown option, unparsable value, missing argument) or a <see cref="UsageException"/> from the verb's validate
/// step into one "error: …" line on stderr and exit code 2. The checks below are what those validate steps call.
/// </summary>
public static class Usage
{
    public const int ExitCode = 2;

    /// <summary>
    /// Peak memory of a text → image run per image pixel (and of a network bench step per pixel): Kandinsky-Micro's
    /// `generate` at 64×64 grows by ~14.5 MB per image (1 image: 117 MB, 64 images: 1,047 MB), ~3.5 KiB per pixel, rounded up.
    /// </summary>
    const double BytesPerImagePixel = 4096;

    /// <summary>Puts <paramref name="command"/>'s action and every subcommand's behind the check; a group without an action gets one that asks for a subcommand.</summary>
    public static void Guard(Command command)
    {
        command.Action = command.Action switch
        {
            null => new Checked(_ => throw new UsageException(
                $"{(command is RootCommand ? "kandinsky-lab" : command.Name)} needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))}.")),
            SynchronousCommandLineAction action => new Checked(action.Invoke),
            AsynchronousCommandLineAction action => new CheckedAsync(action.InvokeAsync),
            var other => throw new NotSupportedException($"{command.Name}: unexpected action type {other.GetType().Name}."),
        };
        foreach (var sub in command.Subcommands) Guard(sub);
    }

    /// <summary>The value of <paramref name="option"/>, which must be at least <paramref name="min"/>.</summary>
    public static int AtLeast(this ParseResult parse, Option<int> option, int min) => AtLeast(option, parse.GetValue(option), min);

    /// <summary>The value of <paramref name="option"/> if given, which must be at least <paramref name="min"/>.</summary>
    public static int? AtLeast(this ParseResult parse, Option<int?> option, int min) =>
        parse.GetValue(option) is int value ? AtLeast(option, value, min) : null;

    /// <summary>The values of <paramref name="option"/>, each at least <paramref name="min"/>.</summary>
    public static int[] AtLeast(this ParseResult parse, Option<int[]> option, int min)
    {
        var values = parse.GetValue(option) ?? [];
        foreach (var value in values) AtLeast(option, value, min);
        return values;
    }

    static int AtLeast(Option option, int value, int min) =>
        value >= min ? value : throw new UsageException($"{option.Name} must be at least {min} (got {value}).");

    /// <summary>The value of <paramref name="option"/>, which must be one of <paramref name="allowed"/>.</summary>
    public static string OneOf(this ParseResult parse, Option<string> option, IReadOnlyList<string> allowed)
    {
        var value = parse.GetValue(option)!;
        return allowed.Contains(value) ? value : throw new UsageException($"{option.Name} must be one of {string.Join(", ", allowed)} (got {value}).");
    }

    /// <summary>
    /// Library options checked by their own Validate (<c>new DecodeOptions { … }.Validate</c>), which names the property it
    /// rejects: the rejection becomes a <see cref="UsageException"/> naming the CLI option given for that property.
    /// </summary>
    public static T Validated<T>(Func<T> validate, params (string Property, Option Option)[] options)
    {
        try { return validate(); }
        catch (ArgumentException e)
        {
            // The library's sentence: Message appends " (Parameter 'X')" and, out of range, a line "Actual value was …".
            var reason = e.Message.Split('\n')[0].Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            var option = options.FirstOrDefault(o => o.Property == e.ParamName).Option;
            throw new UsageException(option is null ? reason : $"{option.Name}: {reason}");
        }
    }

    /// <summary><paramref name="path"/>, the value of <paramref name="name"/>, which must be an existing folder.</summary>
    public static string Folder(string path, string name) =>
        Directory.Exists(path) ? path : throw new UsageException($"{name}: no such folder: {path}");

    /// <summary><paramref name="path"/>, the value of <paramref name="name"/>, which must be an existing file.</summary>
    public static string File(string path, string name) =>
        System.IO.File.Exists(path) ? path : throw new UsageException($"{name}: no such file: {path}");

    /// <summary><paramref name="path"/>, the value of <paramref name="name"/>, a file to write: its folder must exist.</summary>
    public static string OutputFile(string path, string name)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Directory.Exists(folder) ? path : throw new UsageException($"{name}: the folder of {path} does not exist.");
    }

    /// <summary>Refuses a run whose estimated peak memory exceeds what the process may use (RAM or a container limit), instead of being killed part-way.</summary>
    public static void FitsInMemory(double bytes, string what)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available)
            throw new UsageException($"{what} needs about {GiB(bytes)} of memory; {GiB(available)} is available.");
    }

    /// <summary>Refuses a tensor of more elements than one tensor holds (its sizes are <c>int</c>).</summary>
    public static void FitsInTensor(double elements, string what)
    {
        if (elements > int.MaxValue)
            throw new UsageException($"{what} makes a tensor of {elements:N0} elements; one holds at most {int.MaxValue:N0}.");
    }

    /// <summary>Refuses <paramref name="images"/> images (one batch) of <paramref name="width"/>×<paramref name="height"/> that would not fit in memory.</summary>
    public static void ImagesFitInMemory(int images, int width, int height, string what)
    {
        double pixels = (double)images * width * height;
        FitsInTensor(3 * pixels, what);   // the decoded RGB batch
        FitsInMemory(pixels * BytesPerImagePixel, what);
    }

    static string GiB(double bytes) => (bytes / (1L << 30)).ToString("N1", CultureInfo.InvariantCulture) + " GiB";

    static int Reject(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine("error: " + string.Join(" ", message.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        return ExitCode;
    }

    /// <summary>What is wrong with the command line, if anything: an unknown word first, since it explains what follows it.</summary>
    static string? ParseProblem(ParseResult parse) =>
        parse.UnmatchedTokens.Count > 0 ? $"unrecognized argument '{parse.UnmatchedTokens[0]}'."
        : parse.Errors.Count > 0 ? parse.Errors[0].Message
        : null;

    sealed class Checked(Func<ParseResult, int> run) : SynchronousCommandLineAction
    {
        /// <summary>Parse errors come to <see cref="Invoke"/> (instead of System.CommandLine's help page and exit 1), which reports them as bad usage.</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            if (ParseProblem(parse) is { } problem) return Reject(parse, problem);
            try { return run(parse); }
            catch (UsageException e) { return Reject(parse, e.Message); }
        }
    }

    sealed class CheckedAsync(Func<ParseResult, CancellationToken, Task<int>> run) : AsynchronousCommandLineAction
    {
        /// <inheritdoc cref="Checked.ClearsParseErrors"/>
        public override bool ClearsParseErrors => true;

        public override async Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken = default)
        {
            if (ParseProblem(parse) is { } problem) return Reject(parse, problem);
            try { return await run(parse, cancellationToken); }
            catch (UsageException e) { return Reject(parse, e.Message); }
        }
    }
}
