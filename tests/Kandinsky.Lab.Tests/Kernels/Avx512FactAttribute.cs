using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kandinsky.Lab.Tests.Kernels;

/// <summary>
/// A test that needs the AVX-512 path: without AVX-512 (on the CPU, or with DOTNET_EnableAVX512F=0) it is reported as
/// skipped with <paramref name="why"/> it needs it, instead of passing without running.
/// </summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute(string why)
    {
        if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated) Skip = $"AVX-512 is not available (CPU or DOTNET_EnableAVX512F=0): {why}";
    }
}
