using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Models.Common;

/// <summary>The hidden_act values of the transformers encoders: "gelu" (exact, erf) and "quick_gelu" (x · σ(1.702 x)).</summary>
public static class Activation
{
    public static readonly string[] Supported = ["gelu", "quick_gelu"];

    public static Tensor Apply(string hiddenAct, Tensor x) => hiddenAct switch
    {
        "gelu" => F.Gelu(x, "none"),
        "quick_gelu" => F.QuickGelu(x),
        _ => throw new NotSupportedException($"hidden_act \"{hiddenAct}\" is not supported, expected one of {string.Join(", ", Supported)}."),
    };

    public static void Validate(string hiddenAct, string source)
    {
        if (!Supported.Contains(hiddenAct))
            throw new InvalidDataException($"{source}: hidden_act is \"{hiddenAct}\", expected one of {string.Join(", ", Supported)}.");
    }
}
