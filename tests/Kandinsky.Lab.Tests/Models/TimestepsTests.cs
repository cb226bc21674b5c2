using Kandinsky.Lab.Models.Common;

namespace Kandinsky.Lab.Tests.Models;

public class TimestepsTests
{
    [Fact]
    public void FlipPutsCosineFirstAndOddWidthsArePaddedWithZero()
    {
        using var flipped = new Timesteps(5, flipSinToCos: true, downscaleFreqShift: 0).Forward([0f]);
        Assert.Equal([1f, 1f, 0f, 0f, 0f], flipped.ToArray());          // t = 0: cos = 1, sin = 0, pad
        using var plain = new Timesteps(4, flipSinToCos: false, downscaleFreqShift: 0).Forward([0f]);
        Assert.Equal([0f, 0f, 1f, 1f], plain.ToArray());
    }

    [Fact]
    public void FrequenciesFollowTheShiftedExponent()
    {
        // half = 4, shift 1: freq_k = exp(-ln(10000) k / 3), so the last frequency is 1e-4
        using var emb = new Timesteps(8, flipSinToCos: true, downscaleFreqShift: 1).Forward([500f]);
        var e = emb.ToArray();
        Assert.Equal(Math.Cos(500.0), e[0], 5);
        Assert.Equal(Math.Sin(500 * 1e-4), e[7], 6);
        Assert.Equal(Math.Cos(500 * Math.Exp(-Math.Log(10000) / 3)), e[1], 4);
    }
}
