namespace Kandinsky.Lab.Notebooks;

/// <summary>Placeholder identity of the headless notebook runner assembly.</summary>
public static class NotebookInfo
{
    public const string Name = "Kandinsky.Lab.Notebooks";
}
