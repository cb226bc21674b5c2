using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Kandinsky.Lab.Pipeline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Kandinsky.Lab.Notebooks;

/// <summary>Where a run stopped: the 1-based cell number, the line in that cell when known, and the message.</summary>
public sealed record NotebookError(int Cell, int? Line, string Message, string Name = "Error")
{
    public override string ToString() => $"cell {Cell}{(Line is int l ? $", line {l}" : "")}: {Message}";
}

public sealed record CellRun(int Cell, TimeSpan Elapsed);

/// <summary>The executed copy of a notebook, per-cell timings and the error that stopped it, if any.</summary>
public sealed record NotebookRun(Notebook Executed, IReadOnlyList<CellRun> Cells, NotebookError? Error, TimeSpan Elapsed)
{
    public bool Succeeded => Error == null;
}

/// <summary>Reports each cell as it starts, for progress displays.</summary>
public sealed record CellProgress(int Cell, int CellCount, string FirstLine);

/// <summary>
/// Runs a notebook's C# cells in order with Roslyn scripting, like a kernel would: one script state carried
/// from cell to cell, <c>#r</c> resolved relative to the notebook, <c>display(x)</c>, console output captured,
/// the last expression of a cell as its result. The first failing cell stops the run and is recorded as an
/// <c>error</c> output naming the cell and line.
/// </summary>
public sealed partial class NotebookRunner
{
    public IProgress<CellProgress>? Progress { get; init; }

    public async Task<NotebookRun> RunAsync(string notebookPath, CancellationToken cancellationToken = default)
    {
        var fullPath = System.IO.Path.GetFullPath(notebookPath);
        var notebook = Notebook.Load(fullPath);
        return await RunAsync(notebook, System.IO.Path.GetDirectoryName(fullPath)!, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Console output and the current directory are process-wide, so runs in one process take turns.</summary>
    static readonly SemaphoreSlim OneRunAtATime = new(1, 1);

    public async Task<NotebookRun> RunAsync(Notebook source, string notebookDirectory, CancellationToken cancellationToken = default)
    {
        await OneRunAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await RunExclusiveAsync(source, notebookDirectory, cancellationToken).ConfigureAwait(false); }
        finally { OneRunAtATime.Release(); }
    }

    async Task<NotebookRun> RunExclusiveAsync(Notebook source, string notebookDirectory, CancellationToken cancellationToken)
    {
        var executed = source.Clone();
        var cells = executed.Cells;
        var globals = new NotebookGlobals { NotebookDirectory = notebookDirectory };
        var options = BaseOptions(notebookDirectory);
        var timings = new List<CellRun>();
        var total = Stopwatch.StartNew();
        ScriptState<object>? state = null;
        int executionCount = 0;
        NotebookError? error = null;

        var originalOut = Console.Out;
        var console = new StringWriter();
        var previousDirectory = Environment.CurrentDirectory;
        Environment.CurrentDirectory = notebookDirectory;
        var previousHost = KandinskyLab.Host;
        KandinskyLab.Host = new CancellingStageHost(cancellationToken);
        try
        {
            for (int i = 0; i < cells.Count && error == null; i++)
            {
                var cell = cells[i];
                if (cell.CellType != "code") continue;
                cancellationToken.ThrowIfCancellationRequested();
                var cellNumber = i + 1;
                cell.Outputs.Clear();
                cell.ExecutionCount = ++executionCount;
                var outputs = new CellOutputs(cell.Outputs, console);
                globals.Current = outputs;
                var code = PrepareSource(cell, cellNumber, out var prepError);
                Progress?.Report(new CellProgress(cellNumber, cells.Count, FirstLine(cell.Source)));
                var watch = Stopwatch.StartNew();
                if (prepError != null)
                {
                    error = prepError;
                }
                else
                {
                    Console.SetOut(console);
                    try
                    {
                        var cellOptions = options.WithFilePath(CellFileName(cellNumber));
                        var previous = state;
                        state = await OnCellThread(() => previous == null
                            ? CSharpScript.RunAsync(code, cellOptions, globals, typeof(NotebookGlobals), cancellationToken)
                            : previous.ContinueWithAsync(code, cellOptions, cancellationToken)).ConfigureAwait(false);
                        Console.Out.Flush();
                        if (state.Exception != null) error = RuntimeError(state.Exception, cellNumber);
                        else if (HasResult(state, code)) outputs.AddResult(state.ReturnValue, executionCount);
                    }
                    catch (CompilationErrorException e)
                    {
                        var first = e.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error);
                        var line = first.Location.IsInSource ? first.Location.GetLineSpan().StartLinePosition.Line + 1 : (int?)null;
                        error = new NotebookError(cellNumber, line, $"{first.Id}: {first.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}", "CompilationError");
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        error = new NotebookError(cellNumber, null, "interrupted: the run was cancelled (Ctrl+C) while this cell ran.", "Interrupted");
                    }
                    catch (Exception e)
                    {
                        error = RuntimeError(e, cellNumber);
                    }
                    finally
                    {
                        Console.SetOut(originalOut);
                    }
                }
                if (error != null)
                    outputs.AddError(error.Name, error.ToString(), [error.ToString()]);
                else
                    outputs.FlushConsole();
                timings.Add(new CellRun(cellNumber, watch.Elapsed));
            }
        }
        finally
        {
            Console.SetOut(originalOut);
            Environment.CurrentDirectory = previousDirectory;
            KandinskyLab.Host = previousHost;
            globals.Current = null;
        }
        return new NotebookRun(executed, timings, error, total.Elapsed);
    }

    /// <summary>
    /// Starts a cell on a thread of its own: a cell of synchronous code (a whole decode) would otherwise hold the caller's
    /// thread to its end, so the caller could not even await it — System.CommandLine registers its Ctrl+C handler only once
    /// the action returns its task — nor could a pool thread be spared to cancel it.
    /// </summary>
    static Task<T> OnCellThread<T>(Func<Task<T>> start) =>
        Task.Factory.StartNew(start, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    static ScriptOptions BaseOptions(string notebookDirectory) => ScriptOptions.Default
        .WithMetadataResolver(new LoadedAssemblyResolver(ScriptMetadataResolver.Default.WithBaseDirectory(notebookDirectory)))
        .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(notebookDirectory))
        .WithReferences(typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(NotebookGlobals).Assembly, typeof(KandinskyLab).Assembly,
            typeof(Kandinsky.Lab.Tensors.Tensor).Assembly)
        .WithImports("System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", typeof(DisplayExtensions).Namespace!)
        .WithEmitDebugInformation(true)
        .WithFileEncoding(System.Text.Encoding.UTF8)
        .WithOptimizationLevel(OptimizationLevel.Release);

    static string CellFileName(int cell) => $"cell-{cell}.csx";

    /// <summary>
    /// The notebook text .NET Interactive runs, read by a runner with no package restore: Polyglot magic lines
    /// (<c>#!csharp</c>), the package source (<c>#i "nuget:…"</c>) and the lab's own packages (<c>#r "nuget: Kandinsky.Lab…"</c>,
    /// which are the lab this runner has loaded, at the version it was built as) are blanked, so line numbers stay those
    /// of the cell. Other kernels' magics and other packages are errors: this runner has one language and no feed.
    /// </summary>
    static string PrepareSource(NotebookCell cell, int cellNumber, out NotebookError? error)
    {
        error = null;
        var language = cell.Language.ToLowerInvariant();
        if (language is not ("csharp" or "c#"))
        {
            error = new NotebookError(cellNumber, null, $"the cell's language is '{cell.Language}'; the headless runner only runs C# cells.");
            return "";
        }
        var lines = cell.Source.Split('\n');
        for (int l = 0; l < lines.Length; l++)
        {
            var trimmed = lines[l].TrimStart();
            if (trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                var magic = trimmed.TrimEnd('\r');
                if (magic is "#!csharp" or "#!c#") { lines[l] = ""; continue; }
                error = new NotebookError(cellNumber, l + 1, $"magic command '{magic}' is not supported by the headless runner.");
                return "";
            }
            if (NugetSource().IsMatch(trimmed)) { lines[l] = ""; continue; }
            if (NugetReference().Match(trimmed) is { Success: true } package)
            {
                error = LabPackage(package.Groups["id"].Value, package.Groups["version"].Value, cellNumber, l + 1);
                if (error != null) return "";
                lines[l] = "";
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>The lab's packages: the assemblies this runner runs on (the adapter's formatters are the library's own views here).</summary>
    static readonly string[] LabPackages = ["Kandinsky.Lab", "Kandinsky.Lab.Tensors", "Kandinsky.Lab.Interactive"];

    /// <summary>Null when <paramref name="id"/> is a lab package at the version of the loaded lab (or with no version); else the error.</summary>
    static NotebookError? LabPackage(string id, string version, int cellNumber, int line)
    {
        if (!LabPackages.Contains(id, StringComparer.OrdinalIgnoreCase))
            return new NotebookError(cellNumber, line, $"'#r \"nuget: {id}\"': the headless runner restores no packages; it runs the lab's own ({string.Join(", ", LabPackages)}).");
        var loaded = typeof(Kandinsky.Lab.Pipeline.KandinskyLab).Assembly.GetName().Version!;
        var have = $"{loaded.Major}.{loaded.Minor}.{loaded.Build}";
        return version.Length == 0 || version == have ? null
            : new NotebookError(cellNumber, line, $"'#r \"nuget: {id}, {version}\"': the runner's lab is version {have}.");
    }

    /// <summary>True when the cell ends in an expression without a semicolon (the kernel shows its value).</summary>
    static bool HasResult(ScriptState<object> state, string code)
    {
        if (state.ReturnValue is DisplayHandle) return false;
        var tree = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseSyntaxTree(code, new Microsoft.CodeAnalysis.CSharp.CSharpParseOptions(kind: SourceCodeKind.Script));
        var last = tree.GetRoot().ChildNodes().LastOrDefault();
        return last is Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax { Statement: Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionStatementSyntax es }
               && es.SemicolonToken.IsMissing;
    }

    static NotebookError RuntimeError(Exception e, int cellNumber)
    {
        var inner = e is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : e;
        int? line = null;
        var match = StackLine().Match(inner.StackTrace ?? "");
        if (match.Success && match.Groups[1].Value == cellNumber.ToString(System.Globalization.CultureInfo.InvariantCulture))
            line = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        return new NotebookError(cellNumber, line, $"{inner.GetType().Name}: {inner.Message}", inner.GetType().Name);
    }

    static string FirstLine(string source) => source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("#!", StringComparison.Ordinal)) ?? "";

    [GeneratedRegex(@"cell-(\d+)\.csx:line (\d+)")]
    private static partial Regex StackLine();

    [GeneratedRegex(@"^#r\s+""nuget:\s*(?<id>[^,""\s]+)\s*(,\s*(?<version>[^""\s]*))?\s*""", RegexOptions.IgnoreCase)]
    private static partial Regex NugetReference();

    [GeneratedRegex(@"^#i\s+""nuget:[^""]+""\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex NugetSource();

    /// <summary>Stops the prior or decoder stage a cell is running, before its next step, when the run is cancelled (Ctrl+C).</summary>
    sealed class CancellingStageHost(CancellationToken runCancelled) : IStageHost
    {
        public CancellationToken StageStarting(string stage) => runCancelled;
        public void StepDone(StageProgress progress, Func<Kandinsky.Lab.Tensors.Imaging.Image>? preview) { }
        public void StageEnded(string stage) { }
    }

    /// <summary>
    /// Resolves <c>#r</c> paths relative to the notebook, but maps an assembly the runner already has loaded
    /// (the lab itself, referenced from its Debug or Release output) to the loaded copy, so cells and the
    /// runner share one set of types and no second copy of the lab is loaded.
    /// </summary>
    sealed class LoadedAssemblyResolver(ScriptMetadataResolver inner) : MetadataReferenceResolver
    {
        public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(reference);
            var loaded = AppDomain.CurrentDomain.GetAssemblies()
                .FirstOrDefault(a => !a.IsDynamic && a.Location.Length > 0 && string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
            if (loaded != null && reference.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                return [MetadataReference.CreateFromFile(loaded.Location, properties)];
            return inner.ResolveReference(reference, baseFilePath, properties);
        }

        public override bool ResolveMissingAssemblies => inner.ResolveMissingAssemblies;

        public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
            inner.ResolveMissingAssembly(definition, referenceIdentity);

        public override bool Equals(object? other) => other is LoadedAssemblyResolver r && r.Inner.Equals(Inner);
        public override int GetHashCode() => Inner.GetHashCode();
        ScriptMetadataResolver Inner => inner;
    }
}
