namespace Kandinsky.Lab.Tests;

/// <summary>A test whose check reads Linux's /proc; elsewhere it is reported as skipped with the reason, not passed unchecked.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "measures memory and I/O through Linux's /proc";
    }
}
