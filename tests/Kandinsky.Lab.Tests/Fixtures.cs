namespace Kandinsky.Lab.Tests;

/// <summary>Locates the repository's test fixtures (copied from ../shared so a fresh clone is self-contained).</summary>
public static class Fixtures
{
    static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);

    public static string RepoRoot => RepoRootLazy.Value;
    public static string Root => Path.Combine(RepoRoot, "tests", "fixtures");
    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);
    public static string Golden(string caseName) => Path.Combine(Root, "golden", caseName);
    public static string MicroModel => Path.Combine(RepoRoot, "data", "kandinsky-micro");

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Kandinsky.Lab.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"Kandinsky.Lab.sln not found above {AppContext.BaseDirectory}.");
    }
}
