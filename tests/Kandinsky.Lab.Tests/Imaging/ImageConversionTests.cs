using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Imaging;

namespace Kandinsky.Lab.Tests.Imaging;

public class ImageConversionTests
{
    [Fact]
    public void Rgba16ScalesEachDepthToFullRange()
    {
        Assert.Equal(new ushort[] { 0, 0, 0, 65535, 65535, 65535, 65535, 65535 }, Image.FromBytes(2, 1, 1, [0, 1], bitDepth: 1).ToRgba16());
        Assert.Equal(new ushort[] { 21845, 21845, 21845, 43690 }, Image.FromBytes(1, 1, 2, [1, 2], bitDepth: 2).ToRgba16());
        Assert.Equal(new ushort[] { 4369 * 15, 4369 * 7, 0, 65535 }, Image.FromBytes(1, 1, 3, [15, 7, 0], bitDepth: 4).ToRgba16());
        Assert.Equal(new ushort[] { 257, 514, 65535, 0 }, Image.FromBytes(1, 1, 4, [1, 2, 255, 0]).ToRgba16());
        Assert.Equal(new ushort[] { 1, 2, 3, 65535 }, Image.FromWords(1, 1, 3, [1, 2, 3]).ToRgba16());
    }

    [Fact]
    public void To8BitRoundsSixteenBitSamples()
    {
        // round(v / 257): 128 → 0.498 → 0, 129 → 0.502 → 1, 65535 → 255, 385 → 1.498 → 1, 386 → 2
        var rgba = Image.FromWords(2, 1, 2, [128, 129, 65535, 385]).ToRgba8();
        Assert.Equal(new byte[] { 0, 0, 0, 1, 255, 255, 255, 1 }, rgba.Bytes);
        var rgb = Image.FromWords(1, 1, 4, [386, 0, 65535, 7]).ToRgb8();
        Assert.Equal((3, 8), (rgb.Channels, rgb.BitDepth));
        Assert.Equal(new byte[] { 2, 0, 255 }, rgb.Bytes);
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 255, 255, 255 }, Image.FromBytes(2, 1, 1, [0, 1], bitDepth: 1).ToRgba8().Bytes);
        Assert.Equal(new byte[] { 85, 85, 85, 170, 170, 170 }, Image.FromBytes(2, 1, 1, [1, 2], bitDepth: 2).ToRgb8().Bytes);
    }

    [Fact]
    public void EightBitOutputMatchesPngSuiteReferenceRounding()
    {
        var image = Png.Load(Fixtures.Path_("pngsuite", "images", "bgan6a16.png"));
        var rgba16 = image.ToRgba16();
        var rgba8 = image.ToRgba8().Bytes!;
        for (int i = 0; i < rgba8.Length; i++)
            Assert.Equal((byte)Math.Round(rgba16[i] / 257.0), rgba8[i]);
    }

    [Fact]
    public void ToTensorIsPlanarMinusOneToOne()
    {
        // 2x1 RGB: pixel 0 = (0, 255, 51), pixel 1 = (127, 128, 255)
        using var t = Image.FromBytes(2, 1, 3, [0, 255, 51, 127, 128, 255]).ToTensor();
        Assert.Equal(new[] { 1, 3, 1, 2 }, t.ShapeArray());
        Assert.Equal(new[] { -1f, 127 / 127.5f - 1, 1f, 128 / 127.5f - 1, 51 / 127.5f - 1, 1f }, t.ToArray());
    }

    [Fact]
    public void ToTensorDropsAlphaAndExpandsGrey()
    {
        using var t = Image.FromBytes(1, 1, 2, [255, 0]).ToTensor();
        Assert.Equal(new[] { 1f, 1f, 1f }, t.ToArray());
    }

    [Fact]
    public void FromTensorClampsAndRoundsLikeNumpyToPil()
    {
        // x → clamp(x/2 + 1/2, 0, 1) · 255, round half to even: 0 → 127.5 → 128; −1 → 0; 1 → 255; out of range clamps; NaN → 0
        float[] xs = [0f, -1f, 1f, 3f, -7f, float.NaN];
        using var t = Tensor.FromArray([.. xs, .. xs, .. xs], 1, 3, 1, xs.Length);
        var image = Image.FromTensor(t);
        Assert.Equal((xs.Length, 1, 3, 8), (image.Width, image.Height, image.Channels, image.BitDepth));
        Assert.Equal(new byte[] { 128, 0, 255, 255, 0, 0 }, Enumerable.Range(0, xs.Length).Select(p => image.Bytes![3 * p]).ToArray());
    }

    [Fact]
    public void FromTensorRoundsHalfToEven()
    {
        // float32 inputs whose (x/2 + 1/2) · 255 is exactly k + ½ (checked bit by bit with IEEE single arithmetic):
        // −0.4f → 76.5 → 76, 0xBEF8F8F9 → 65.5 → 66 (numpy's round is half to even, not away from zero).
        float[] xs = [-0.4f, BitConverter.Int32BitsToSingle(unchecked((int)0xBEF8F8F9))];
        using var t = Tensor.FromArray([.. xs, .. xs, .. xs], 3, 1, 2);
        Assert.Equal(new byte[] { 76, 76, 76, 66, 66, 66 }, Image.FromTensor(t).Bytes);
    }

    [Fact]
    public void EveryByteSurvivesTensorRoundTrip()
    {
        var values = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        var image = Image.FromBytes(256, 1, 1, values);
        using var t = image.ToTensor();
        var back = Image.FromTensor(t);
        Assert.Equal(image.ToRgb8().Bytes, back.Bytes);
    }

    [Fact]
    public void FromTensorHandlesBatchViewsAndHalfPrecision()
    {
        using var batch = Tensor.FromArray(Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => i % 2 == 0 ? -1f : 1f).ToArray(), 2, 3, 2, 2);
        var second = Image.FromTensor(batch, index: 1);
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255 }, second.Bytes);
        using var chw = batch.Select(0, 0);
        using var half = chw.ToFloat16();
        Assert.Equal(second.Bytes, Image.FromTensor(half).Bytes);
        using var transposed = chw.Transpose(1, 2); // a strided view: [3, W, H]
        Assert.Equal(2, Image.FromTensor(transposed).Width);
    }

    [Fact]
    public void FromTensorRejectsWrongShapes()
    {
        using var t = Tensor.Zeros(1, 4, 2, 2);
        Assert.Contains("[1, 4, 2, 2]", Assert.Throws<ArgumentException>(() => Image.FromTensor(t)).Message);
        using var batch = Tensor.Zeros(2, 3, 2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => Image.FromTensor(batch, index: 2));
    }

    [Fact]
    public void ConstructorsValidate()
    {
        Assert.Throws<ArgumentException>(() => Image.FromBytes(2, 2, 3, new byte[11]));
        Assert.Throws<ArgumentException>(() => Image.FromBytes(2, 1, 1, [0, 4], bitDepth: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Image.FromBytes(1, 1, 5, new byte[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Image.FromBytes(0, 1, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Image.FromBytes(1, 1, 1, [0], bitDepth: 16));
    }
}
