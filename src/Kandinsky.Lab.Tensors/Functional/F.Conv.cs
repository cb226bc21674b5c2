using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

public static partial class F
{
    /// <summary>
    /// torch.nn.functional.conv2d with groups = 1: input [N, C, H, W] (float32, any strides), weight
    /// [O, C, kh, kw] (F32/F16/BF16), bias [O], symmetric zero padding.
    /// Output [N, O, (H + 2p - kh) / s + 1, (W + 2p - kw) / s + 1].
    /// The weight is packed (and converted to float32) on first use and cached for the lifetime of the
    /// weight tensor object, so weights must not be modified in place afterwards. Stride-1 3×3 layers over enough
    /// output tiles run as Winograd F(2×2, 3×3), the rest as a direct or implicit-GEMM convolution
    /// (<see cref="Conv2dAlgorithm"/> says which); all agree within float32 rounding.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match, stride &lt; 1, padding &lt; 0, or the output would be empty.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0)
        => Conv2d(input, weight, bias, stride, padding, MicroKernel.Best);

    /// <summary><see cref="Conv2d(Tensor, Tensor, Tensor?, int, int)"/> on a chosen micro-kernel (tests run every supported one).</summary>
    internal static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding, MicroKernel kernel)
    {
        using var profile = OpProfile.Enter(OpKind.Conv);
        ValidateConv2d(input, weight, bias, stride, padding);
        return ConvKernel.Conv2d(input, weight, bias, stride, padding, kernel);
    }

    /// <summary>
    /// The algorithm <see cref="Conv2d(Tensor, Tensor, Tensor?, int, int)"/> picks for these operands:
    /// "winograd F(2x2,3x3)", "direct" or "implicit gemm" (all agree within float32 rounding; each is bit-identical for any thread count).
    /// </summary>
    public static string Conv2dAlgorithm(Tensor input, Tensor weight, int stride = 1, int padding = 0)
    {
        ValidateConv2d(input, weight, null, stride, padding);
        return ConvKernel.Algorithm(input, weight, stride, padding, MicroKernel.Best);
    }

    internal static void ValidateConv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding)
    {
        input.RequireF32("F.Conv2d");
        if (input.Rank != 4 || weight.Rank != 4 || input.Size(1) != weight.Size(1))
            throw Tensor.ShapeError("F.Conv2d", $"input {input.ShapeString} does not match weight {weight.ShapeString} (expected input [N, C, H, W] and weight [O, C, kh, kw]).");
        if (stride < 1 || padding < 0)
            throw Tensor.ShapeError("F.Conv2d", $"stride {stride} must be ≥ 1 and padding {padding} ≥ 0 (input {input.ShapeString}, weight {weight.ShapeString}).");
        int h = input.Size(2), w = input.Size(3), kh = weight.Size(2), kw = weight.Size(3);
        if (kh < 1 || kw < 1 || h + 2 * padding < kh || w + 2 * padding < kw)
            throw Tensor.ShapeError("F.Conv2d", $"input {input.ShapeString} is smaller than kernel {kh}x{kw} with padding {padding} (weight {weight.ShapeString}).");
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != weight.Size(0)))
            throw Tensor.ShapeError("F.Conv2d", $"bias {bias.ShapeString} does not match {weight.Size(0)} output channels of weight {weight.ShapeString}.");
    }
}
