using Kandinsky.Lab.Pipeline;

namespace Kandinsky.Lab.Tests.Visuals;

/// <summary>One embedded Kandinsky-Micro shared by a test class.</summary>
public sealed class MicroLabFixture : IDisposable
{
    public KandinskyLab Lab { get; } = KandinskyLab.Load(Fixtures.MicroModel);

    public void Dispose() => Lab.Dispose();
}
