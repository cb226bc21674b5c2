namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>Naive conv2d in double precision: the oracle the fast <see cref="ConvKernel"/> is tested against.</summary>
internal static unsafe class ConvReference
{
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, int padding)
    {
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        int o = weight.Size(0), kh = weight.Size(2), kw = weight.Size(3);
        int oh = (h + 2 * padding - kh) / stride + 1, ow = (w + 2 * padding - kw) / stride + 1;
        using var x = input.Contiguous();
        using var wt = weight.ToFloat32();
        using var bt = bias?.ToFloat32();
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
                                    acc += (double)xp[((long)(b * c + ic) * h + iy) * w + ix] * wp[((long)(oc * c + ic) * kh + ky) * kw + kx];
                                }
                            }
                        yp[((long)(b * o + oc) * oh + oy) * ow + ox] = (float)acc;
                    }
        return y;
    }
}
