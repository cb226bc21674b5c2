namespace Kandinsky.Lab.Tests.Notebooks;

/// <summary>
/// The notebook runner redirects the process-wide Console while a cell runs; its tests run alone so output printed
/// by other tests (CLI verbs writing to the console) cannot land in a cell's captured stream.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Process-wide console";
}
