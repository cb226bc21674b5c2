namespace Kandinsky.Lab.Tensors;

public static unsafe partial class F
{
    /// <summary>
    /// torch.nn.functional.conv2d with groups = 1: input [N, C, H, W], weight [O, C, kh, kw] (F32/F16/BF16),
    /// bias [O], symmetric zero padding. Output [N, O, (H + 2p - kh) / s + 1, (W + 2p - kw) / s + 1].
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0)
    {
        input.RequireF32("F.Conv2d");
        if (input.Rank != 4 || weight.Rank != 4 || input.Size(1) != weight.Size(1))
            throw Tensor.ShapeError("F.Conv2d", $"input {input.ShapeString} does not match weight {weight.ShapeString} (expected input [N, C, H, W] and weight [O, C, kh, kw]).");
        if (stride < 1 || padding < 0)
            throw Tensor.ShapeError("F.Conv2d", $"stride {stride} must be ≥ 1 and padding {padding} ≥ 0.");
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        int o = weight.Size(0), kh = weight.Size(2), kw = weight.Size(3);
        int oh = (h + 2 * padding - kh) / stride + 1, ow = (w + 2 * padding - kw) / stride + 1;
        if (oh <= 0 || ow <= 0)
            throw Tensor.ShapeError("F.Conv2d", $"input {input.ShapeString} is smaller than kernel {kh}x{kw} with padding {padding}.");
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != o))
            throw Tensor.ShapeError("F.Conv2d", $"bias {bias.ShapeString} does not match {o} output channels.");
        using var x = input.Contiguous();
        using var wt = weight.DType == DType.F32 ? weight.Contiguous() : weight.ToFloat32();
        using var bt = bias == null ? null : bias.DType == DType.F32 ? bias.Contiguous() : bias.ToFloat32();
        var y = Tensor.Empty(n, o, oh, ow);
        float* xp = x.Data, wp = wt.Data, yp = y.Data;
        float* bp = bt == null ? null : bt.Data;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double acc = bp == null ? 0 : bp[oc];
                        for (int ic = 0; ic < c; ic++)
                            for (int ky = 0; ky < kh; ky++)
                            {
                                int iy = oy * stride - padding + ky;
                                if ((uint)iy >= (uint)h) continue;
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int ix = ox * stride - padding + kx;
                                    if ((uint)ix >= (uint)w) continue;
                                    acc += xp[((long)(b * c + ic) * h + iy) * w + ix] * wp[((long)(oc * c + ic) * kh + ky) * kw + kx];
                                }
                            }
                        yp[((long)(b * o + oc) * oh + oy) * ow + ox] = (float)acc;
                    }
        return y;
    }
}
