using System.Runtime.Intrinsics;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tests.Kernels;

public class VectorMathTests
{
    [Avx512Fact("no AVX-512 path to compare with AVX2")]
    public void Exp512GivesTheSameBitsAsExp256()
    {
        var rng = new Random(18);
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 220 - 120);
        float[] specials = [0f, -0f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, -87.5f, -103.9f, 88.7f, 1e-30f];
        specials.CopyTo(x, 0);
        for (int i = 0; i < x.Length; i += 16)
        {
            var wide = VectorMath.Exp(Vector512.Create(x.AsSpan(i, 16)));
            var low = VectorMath.Exp(Vector256.Create(x.AsSpan(i, 8)));
            var high = VectorMath.Exp(Vector256.Create(x.AsSpan(i + 8, 8)));
            for (int lane = 0; lane < 8; lane++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(low[lane]), BitConverter.SingleToInt32Bits(wide[lane]));
                Assert.Equal(BitConverter.SingleToInt32Bits(high[lane]), BitConverter.SingleToInt32Bits(wide[8 + lane]));
            }
        }
    }
}
