namespace Kandinsky.Lab.Tests.Cli;

/// <summary>
/// Verbs that draw Spectre's live progress display, which is process-wide: two at once fail ("Trying to run one or more
/// interactive functions concurrently"), so their tests run one after another (the bleed tests are in the console collection, which runs alone).
/// </summary>
[CollectionDefinition(Name)]
public sealed class LiveDisplayCollection
{
    public const string Name = "Spectre live display";
}
