using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

/// <summary>Elementwise binary ops with NumPy broadcasting (torch.add, torch.mul, torch.where …).</summary>
public static unsafe partial class F
{
    /// <summary>torch.add: a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary<AddOperator>(a, b, "F.Add");
    /// <summary>torch.sub: a − b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Binary<SubtractOperator>(a, b, "F.Sub");
    /// <summary>torch.mul: a · b with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Binary<MultiplyOperator>(a, b, "F.Mul");
    /// <summary>torch.div (true division): a / b with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Binary<DivideOperator>(a, b, "F.Div");
    /// <summary>torch.maximum: elementwise max with broadcasting; NaN propagates.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary<MaximumOperator>(a, b, "F.Maximum");
    /// <summary>torch.minimum: elementwise min with broadcasting; NaN propagates.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary<MinimumOperator>(a, b, "F.Minimum");

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s) => WithScalar<AddOperator>(a, s);
    /// <summary>a − s.</summary>
    public static Tensor Sub(Tensor a, float s) => WithScalar<SubtractOperator>(a, s);
    /// <summary>a · s.</summary>
    public static Tensor Mul(Tensor a, float s) => WithScalar<MultiplyOperator>(a, s);
    /// <summary>a / s (a true division, as torch does for float32, not a multiplication by 1/s).</summary>
    public static Tensor Div(Tensor a, float s) => WithScalar<DivideOperator>(a, s);

    /// <summary>torch.pow(a, exponent). Exponents 1, 2, 0.5, −0.5 and −1 take exact shortcuts like torch's.</summary>
    public static Tensor Pow(Tensor a, float exponent) => exponent switch
    {
        1f => Map(a, static (x, y) => x.CopyTo(y)),
        2f => Map(a, static (x, y) => TensorPrimitives.Multiply(x, x, y)),
        0.5f => Map(a, static (x, y) => TensorPrimitives.Sqrt(x, y)),
        -0.5f => Map(a, static (x, y) => { TensorPrimitives.Sqrt(x, y); TensorPrimitives.Divide(1f, y, y); }),
        -1f => Map(a, static (x, y) => TensorPrimitives.Divide(1f, x, y)),
        _ => Map(a, (x, y) => TensorPrimitives.Pow(x, exponent, y)),
    };

    /// <summary>torch.where(condition, a, b): a where condition is nonzero (NaN counts as nonzero), else b; all three broadcast.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        const string op = "F.Where";
        int[] shape;
        try { shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape, op), b.Shape, op); }
        catch (ArgumentException)
        {
            throw Tensor.ShapeError(op, $"condition {condition.ShapeString}, a {a.ShapeString} and b {b.ShapeString} cannot be broadcast together.");
        }
        using var cf = AsF32(condition);
        using var af = AsF32(a);
        using var bf = AsF32(b);
        using var ce = cf.Expand(shape);
        using var ae = af.Expand(shape);
        using var be = bf.Expand(shape);
        var y = Tensor.Empty(shape);
        var loop = BroadcastLoop.Create(shape, ShapeUtil.ContiguousStrides(shape), ce.Strides.ToArray(), ae.Strides.ToArray(), be.Strides.ToArray());
        nint yp = (nint)y.Data, cp = (nint)ce.Data, ap = (nint)ae.Data, bp = (nint)be.Data;
        int n = loop.Inner;
        long sc = loop.InnerStrides[1], sa = loop.InnerStrides[2], sb = loop.InnerStrides[3];
        loop.ForRuns((r, start, length) => SelectRow(
            (float*)yp + r * n + start,
            (float*)cp + loop.Offset(1, r) + start * sc, sc,
            (float*)ap + loop.Offset(2, r) + start * sa, sa,
            (float*)bp + loop.Offset(3, r) + start * sb, sb, length));
        return y;
    }

    static void SelectRow(float* y, float* c, long sc, float* a, long sa, float* b, long sb, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && sc == 1 && sa == 1 && sb == 1)
            for (; i <= n - 8; i += 8)
            {
                var take = ~Vector256.Equals(Vector256.Load(c + i), Vector256<float>.Zero);
                Vector256.ConditionalSelect(take, Vector256.Load(a + i), Vector256.Load(b + i)).Store(y + i);
            }
        for (; i < n; i++) y[i] = c[i * sc] != 0f ? a[i * sa] : b[i * sb];
    }

    /// <summary>target += other in place (torch's add_); <paramref name="other"/> broadcasts to the shape of the contiguous float32 <paramref name="target"/>.</summary>
    public static void AddInPlace(Tensor target, Tensor other)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        const string op = "F.AddInPlace";
        RequireContiguousTarget(target, op);
        var shape = ShapeUtil.Broadcast(target.Shape, other.Shape, op);
        if (!ShapeUtil.SameShape(shape, target.Shape))
            throw Tensor.ShapeError(op, $"other {other.ShapeString} does not broadcast to target {target.ShapeString}.");
        using var of = AsF32(other);
        using var oe = of.Expand(shape);
        var strides = ShapeUtil.ContiguousStrides(shape);
        var loop = BroadcastLoop.Create(shape, strides, oe.Strides.ToArray());
        nint tp = (nint)target.Data, op2 = (nint)oe.Data;
        int n = loop.Inner;
        long so = loop.InnerStrides[1];
        loop.ForRuns((r, start, length) =>
        {
            float* t = (float*)tp + r * n + start;
            BinaryRows.Run<AddOperator>(t, t, 1, (float*)op2 + loop.Offset(1, r) + start * so, so, length);
        });
    }

    /// <summary>target *= s in place (torch's mul_) on a contiguous float32 tensor.</summary>
    public static void MulInPlace(Tensor target, float s)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        RequireContiguousTarget(target, "F.MulInPlace");
        nint tp = (nint)target.Data;
        ForBlocks(target.Count, (start, length) => BinaryRows.VectorScalar<MultiplyOperator>((float*)tp + start, (float*)tp + start, s, length));
    }

    static void RequireContiguousTarget(Tensor target, string op)
    {
        if (target.DType != DType.F32 || !target.IsContiguous)
            throw Tensor.ShapeError(op, $"target must be a contiguous float32 tensor, got {target.DType} {target.ShapeString} with strides [{string.Join(", ", target.Strides.ToArray())}].");
        target.RequireF32(op);
    }

    static Tensor Binary<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOperator
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op);
        using var af = AsF32(a);
        using var bf = AsF32(b);
        using var ae = af.Expand(shape);
        using var be = bf.Expand(shape);
        var y = Tensor.Empty(shape);
        var loop = BroadcastLoop.Create(shape, ShapeUtil.ContiguousStrides(shape), ae.Strides.ToArray(), be.Strides.ToArray());
        nint yp = (nint)y.Data, ap = (nint)ae.Data, bp = (nint)be.Data;
        int n = loop.Inner;
        long sa = loop.InnerStrides[1], sb = loop.InnerStrides[2];
        loop.ForRuns((r, start, length) => BinaryRows.Run<TOp>(
            (float*)yp + r * n + start,
            (float*)ap + loop.Offset(1, r) + start * sa, sa,
            (float*)bp + loop.Offset(2, r) + start * sb, sb, length));
        return y;
    }

    static Tensor WithScalar<TOp>(Tensor a, float s) where TOp : IBinaryOperator
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        using var x = ContiguousF32(a);
        var y = Tensor.Empty(x.ShapeArray());
        nint xp = (nint)x.Data, yp = (nint)y.Data;
        ForBlocks(x.Count, (start, length) => BinaryRows.VectorScalar<TOp>((float*)yp + start, (float*)xp + start, s, length));
        return y;
    }

    /// <summary>Elements per parallel block of an elementwise op; fixed, so block boundaries (and results) never depend on the thread count.</summary>
    const int ElementwiseBlock = 1 << 14;

    /// <summary>Calls <paramref name="body"/>(start, length) over fixed-size blocks of [0, count), in parallel.</summary>
    static void ForBlocks(long count, Action<long, int> body)
    {
        long blocks = (count + ElementwiseBlock - 1) / ElementwiseBlock;
        if (blocks <= 1) { if (count > 0) body(0, (int)count); return; }
        Parallelism.For(checked((int)blocks), b =>
        {
            long start = (long)b * ElementwiseBlock;
            body(start, (int)Math.Min(ElementwiseBlock, count - start));
        });
    }

    delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>A new tensor with <paramref name="map"/> applied to the elements of <paramref name="a"/> block by block.</summary>
    static Tensor Map(Tensor a, SpanMap map)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        using var x = ContiguousF32(a);
        var y = Tensor.Empty(x.ShapeArray());
        nint xp = (nint)x.Data, yp = (nint)y.Data;
        ForBlocks(x.Count, (start, length) => map(new ReadOnlySpan<float>((float*)xp + start, length), new Span<float>((float*)yp + start, length)));
        return y;
    }
}
