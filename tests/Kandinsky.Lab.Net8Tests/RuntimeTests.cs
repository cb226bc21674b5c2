using System.Runtime.Versioning;
using Xunit.Abstractions;

namespace Kandinsky.Lab.Net8Tests;

/// <summary>This project runs on .NET 8 and loads the library's net8.0 build, not the net10.0 one.</summary>
public class RuntimeTests(ITestOutputHelper output)
{
    [Fact]
    public void RunsOnDotNet8()
    {
        output.WriteLine($".NET {Environment.Version} ({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}) from {typeof(object).Assembly.Location}");
        Assert.Equal(8, Environment.Version.Major);
    }

    [Theory]
    [InlineData(typeof(Kandinsky.Lab.Pipeline.KandinskyLab))]
    [InlineData(typeof(Kandinsky.Lab.Tensors.Tensor))]
    public void LoadsTheNet8Build(Type type)
    {
        var target = type.Assembly.GetCustomAttributes(typeof(TargetFrameworkAttribute), false).Cast<TargetFrameworkAttribute>().Single();
        output.WriteLine($"{type.Assembly.GetName().Name}: {target.FrameworkName} ({type.Assembly.Location})");
        Assert.Equal(".NETCoreApp,Version=v8.0", target.FrameworkName);
    }
}
