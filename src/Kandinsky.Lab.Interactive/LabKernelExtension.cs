using Kandinsky.Lab.Formatting;
using Kandinsky.Lab.Pipeline;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace Kandinsky.Lab.Interactive;

/// <summary>
/// Loaded by .NET Interactive from the package's interactive-extensions/dotnet folder after
/// <c>#r "nuget: Kandinsky.Lab.Interactive, …"</c>: registers the lab's views as the kernel's <c>text/html</c>
/// formatters (each through <see cref="LabFormatting.TryFormat"/>), shows every prior and decoder run as an updating
/// display and lets the lab kernel's interrupt stop it (<see cref="StageInterrupt"/>).
/// </summary>
public sealed class LabKernelExtension : IKernelExtension
{
    public Task OnLoadAsync(Kernel kernel)
    {
        RegisterFormatters();
        KandinskyLab.Host = new KernelStageHost(StageInterrupt.Install());
        KernelInvocationContext.Current?.DisplayAs(
            "Kandinsky.Lab: views registered; prior and decoder runs show live progress"
            + (StageInterrupt.Installed ? " and stop on interrupt." : "."), MimeTypes.PlainText);
        return Task.CompletedTask;
    }

    /// <summary>One HTML formatter per rendered type; the text form stays the kernel's own (the object's ToString()).</summary>
    internal static void RegisterFormatters()
    {
        foreach (var type in LabFormatting.RenderedTypes)
            Formatter.Register(type, (value, writer) => LabFormatting.TryFormat(value, MimeTypes.Html, writer), MimeTypes.Html);
    }
}
