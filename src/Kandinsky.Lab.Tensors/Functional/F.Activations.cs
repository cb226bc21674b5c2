using System.Numerics.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

/// <summary>Elementwise unary ops and activations (torch.exp, F.silu, F.gelu …).</summary>
public static partial class F
{
    /// <summary>torch.neg: −x.</summary>
    public static Tensor Neg(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Negate(a, y));
    /// <summary>torch.abs: |x|.</summary>
    public static Tensor Abs(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Abs(a, y));
    /// <summary>torch.exp: eˣ (about 1 ulp; e⁰ is exactly 1).</summary>
    public static Tensor Exp(Tensor x) => Map(x, Activations.Run<ExpOperator>);
    /// <summary>torch.log: natural logarithm (NaN below 0, −∞ at 0).</summary>
    public static Tensor Log(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Log(a, y));
    /// <summary>torch.sqrt: √x (correctly rounded).</summary>
    public static Tensor Sqrt(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Sqrt(a, y));
    /// <summary>torch.rsqrt: 1/√x.</summary>
    public static Tensor Rsqrt(Tensor x) => Pow(x, -0.5f);
    /// <summary>torch.cos.</summary>
    public static Tensor Cos(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Cos(a, y));
    /// <summary>torch.sin.</summary>
    public static Tensor Sin(Tensor x) => Map(x, static (a, y) => TensorPrimitives.Sin(a, y));
    /// <summary>torch.tanh (accurate near 0 as well).</summary>
    public static Tensor Tanh(Tensor x) => Map(x, Activations.Run<TanhOperator>);
    /// <summary>torch.erf (relative error about 2e-7 against double precision).</summary>
    public static Tensor Erf(Tensor x) => Map(x, Activations.Run<ErfOperator>);
    /// <summary>torch.sigmoid: 1/(1 + e^−x).</summary>
    public static Tensor Sigmoid(Tensor x) => Map(x, Activations.Run<SigmoidOperator>);
    /// <summary>F.silu: x·σ(x).</summary>
    public static Tensor Silu(Tensor x) => Map(x, Activations.Run<SiluOperator>);
    /// <summary>CLIP's quick_gelu: x·σ(1.702x).</summary>
    public static Tensor QuickGelu(Tensor x) => Map(x, Activations.Run<QuickGeluOperator>);

    /// <summary>F.gelu: <paramref name="approximate"/> "none" is the exact erf form (torch's default), "tanh" the tanh approximation.</summary>
    public static Tensor Gelu(Tensor x, string approximate = "none") => approximate switch
    {
        "none" => Map(x, Activations.Run<GeluOperator>),
        "tanh" => Map(x, Activations.Run<GeluTanhOperator>),
        _ => throw new ArgumentException($"F.Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\" (input {x.ShapeString})."),
    };

    /// <summary>torch.clamp: min(max(x, min), max); either bound may be omitted, NaN propagates, min &gt; max gives max (as torch).</summary>
    public static Tensor Clamp(Tensor x, float? min = null, float? max = null)
    {
        if (min == null && max == null)
            throw new ArgumentException($"F.Clamp: at least one of min and max must be given (input {x.ShapeString}).");
        return Map(x, (a, y) =>
        {
            if (min is float lo) TensorPrimitives.Max(a, lo, y); else a.CopyTo(y);
            if (max is float hi) TensorPrimitives.Min(y, hi, y);
        });
    }
}
