namespace Kandinsky.Lab;

/// <summary>Version and identity of the lab library.</summary>
public static class LabInfo
{
    public const string Name = "Kandinsky.Lab";
}
