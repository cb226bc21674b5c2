using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// An elementwise binary operator with a scalar reference and a 256-bit body that must agree with it
/// bit for bit (the JIT specializes the generic loops below for each operator struct).
/// </summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float a, float b);
    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a + b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
}

internal readonly struct SubtractOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a - b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
}

internal readonly struct MultiplyOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a * b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
}

internal readonly struct DivideOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => a / b;
    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
}

/// <summary>torch.maximum: NaN if either side is NaN; otherwise std::max (a unless a &lt; b, so max(−0, +0) = −0 as in torch).</summary>
internal readonly struct MaximumOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : a < b ? b : a;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        var r = Vector256.ConditionalSelect(Vector256.LessThan(a, b), b, a);
        var nan = ~(Vector256.Equals(a, a) & Vector256.Equals(b, b));
        return Vector256.ConditionalSelect(nan, a + b, r);
    }
}

/// <summary>torch.minimum: NaN if either side is NaN; otherwise std::min (a unless b &lt; a).</summary>
internal readonly struct MinimumOperator : IBinaryOperator
{
    public static float Invoke(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? a + b : b < a ? b : a;

    public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
    {
        var r = Vector256.ConditionalSelect(Vector256.LessThan(b, a), b, a);
        var nan = ~(Vector256.Equals(a, a) & Vector256.Equals(b, b));
        return Vector256.ConditionalSelect(nan, a + b, r);
    }
}

/// <summary>Row kernels: y[i] = op(a[i·sa], b[i·sb]) for a unit-stride output, with vector paths for unit and zero input strides.</summary>
internal static unsafe class BinaryRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOp>(float* y, float* a, long sa, float* b, long sb, int n) where TOp : IBinaryOperator
    {
        if (sa == 1 && sb == 1) VectorVector<TOp>(y, a, b, n);
        else if (sa == 1 && sb == 0) VectorScalar<TOp>(y, a, *b, n);
        else if (sa == 0 && sb == 1) ScalarVector<TOp>(y, *a, b, n);
        else for (int i = 0; i < n; i++) y[i] = TOp.Invoke(a[i * sa], b[i * sb]);
    }

    public static void VectorVector<TOp>(float* y, float* a, float* b, int n) where TOp : IBinaryOperator
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                TOp.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
                TOp.Invoke(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8)).Store(y + i + 8);
                TOp.Invoke(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16)).Store(y + i + 16);
                TOp.Invoke(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24)).Store(y + i + 24);
            }
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = TOp.Invoke(a[i], b[i]);
    }

    public static void VectorScalar<TOp>(float* y, float* a, float b, int n) where TOp : IBinaryOperator
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vb = Vector256.Create(b);
            for (; i <= n - 16; i += 16)
            {
                TOp.Invoke(Vector256.Load(a + i), vb).Store(y + i);
                TOp.Invoke(Vector256.Load(a + i + 8), vb).Store(y + i + 8);
            }
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.Load(a + i), vb).Store(y + i);
        }
        for (; i < n; i++) y[i] = TOp.Invoke(a[i], b);
    }

    public static void ScalarVector<TOp>(float* y, float a, float* b, int n) where TOp : IBinaryOperator
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 16; i += 16)
            {
                TOp.Invoke(va, Vector256.Load(b + i)).Store(y + i);
                TOp.Invoke(va, Vector256.Load(b + i + 8)).Store(y + i + 8);
            }
            for (; i <= n - 8; i += 8) TOp.Invoke(va, Vector256.Load(b + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = TOp.Invoke(a, b[i]);
    }
}
