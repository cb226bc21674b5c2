using System.Numerics.Tensors;

namespace Kandinsky.Lab.Tensors;

/// <summary>Data movement: cat, stack, pad, nearest upsampling, average pooling, gathers, ranges.</summary>
public static unsafe partial class F
{
    /// <summary>torch.cat along <paramref name="dim"/>: same rank, equal sizes except along <paramref name="dim"/>.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.Cat";
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException($"{op}: expected at least one tensor.");
        var first = tensors[0];
        int d = Dim(first, dim, op);
        var shape = first.ShapeArray();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            bool matches = t.Rank == first.Rank;
            for (int i = 0; matches && i < t.Rank; i++) matches = i == d || t.Size(i) == first.Size(i);
            if (!matches)
                throw Tensor.ShapeError(op, $"shapes {string.Join(", ", tensors.Select(x => x.ShapeString))} must match except in dimension {dim}; {t.ShapeString} does not match {first.ShapeString}.");
            shape[d] += t.Size(d);
        }
        var y = Tensor.Empty(shape);
        // Viewed as [outer, size(d)·inner], every input is a block of columns of the output: contiguous
        // inputs copy one run per outer index, others go through the strided copy.
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        long rowLength = shape[d] * inner;
        int offset = 0;
        foreach (var t in tensors)
        {
            int size = t.Size(d);
            if (t.DType == DType.F32 && t.IsContiguous)
            {
                long run = size * inner;
                float* src = t.Data, dst = y.Data + offset * inner;
                for (long o = 0; o < outer; o++)
                    Buffer.MemoryCopy(src + o * run, dst + o * rowLength, run * sizeof(float), run * sizeof(float));
            }
            else
            {
                using var part = y.Slice(d, offset, offset + size);
                using var src = AsF32(t);
                part.CopyFrom(src);
            }
            offset += size;
        }
        return y;
    }

    /// <summary>torch.stack: tensors of one shape joined along a new dimension <paramref name="dim"/> (−1 = last).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.Stack";
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException($"{op}: expected at least one tensor.");
        var first = tensors[0];
        foreach (var t in tensors)
            if (!ShapeUtil.SameShape(t.Shape, first.Shape))
                throw Tensor.ShapeError(op, $"all tensors must have the same shape, got {t.ShapeString} and {first.ShapeString}.");
        int d = dim < 0 ? dim + first.Rank + 1 : dim;
        if (d < 0 || d > first.Rank)
            throw Tensor.ShapeError(op, $"dimension {dim} is out of range for stacking tensors of shape {first.ShapeString}.");
        var expanded = tensors.Select(t => t.Unsqueeze(d)).ToArray();
        try { return Cat(expanded, d); }
        finally { foreach (var t in expanded) t.Dispose(); }
    }

    /// <summary>
    /// F.pad(x, (left, right, top, bottom), value=value) on the last two dimensions (the last one only when
    /// top = bottom = 0 and x is 1-D). Negative amounts crop.
    /// </summary>
    public static Tensor Pad(Tensor x, int left, int right, int top = 0, int bottom = 0, float value = 0)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.Pad";
        bool vertical = top != 0 || bottom != 0;
        if (x.Rank < (vertical ? 2 : 1))
            throw Tensor.ShapeError(op, $"input {x.ShapeString} has too few dimensions for padding ({left}, {right}, {top}, {bottom}).");
        var shape = x.ShapeArray();
        int w = x.Size(-1);
        shape[^1] = w + left + right;
        int h = x.Rank >= 2 ? x.Size(-2) : 1;
        if (x.Rank >= 2) shape[^2] = h + top + bottom;
        if (shape[^1] < 0 || (x.Rank >= 2 && shape[^2] < 0))
            throw Tensor.ShapeError(op, $"padding ({left}, {right}, {top}, {bottom}) of input {x.ShapeString} gives negative size {ShapeUtil.Format(shape)}.");
        var y = Tensor.Full(value, shape);
        int sx0 = Math.Max(0, -left), sx1 = w - Math.Max(0, -right);
        int sy0 = Math.Max(0, -top), sy1 = h - Math.Max(0, -bottom);
        if (sx1 <= sx0 || sy1 <= sy0) return y;
        using var xf = AsF32(x);
        using var srcW = xf.Slice(-1, sx0, sx1);
        using var dstW = y.Slice(-1, Math.Max(0, left), Math.Max(0, left) + sx1 - sx0);
        if (x.Rank >= 2)
        {
            using var src = srcW.Slice(-2, sy0, sy1);
            using var dst = dstW.Slice(-2, Math.Max(0, top), Math.Max(0, top) + sy1 - sy0);
            dst.CopyFrom(src);
        }
        else dstW.CopyFrom(srcW);
        return y;
    }

    /// <summary>
    /// F.interpolate(x, size=(outH, outW), mode="nearest") on [N, C, H, W]: source index floor(dst · in/out)
    /// with the float32 scale, clamped to in − 1 (torch's legacy nearest, including its exact 1× and 2× cases).
    /// </summary>
    public static Tensor Interpolate(Tensor x, int outH, int outW)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.Interpolate";
        if (x.Rank != 4) throw Tensor.ShapeError(op, $"input {x.ShapeString} must be [N, C, H, W].");
        if (outH <= 0 || outW <= 0) throw Tensor.ShapeError(op, $"output size ({outH}, {outW}) must be positive (input {x.ShapeString}).");
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        if ((h == 0 || w == 0) && n * c > 0) throw Tensor.ShapeError(op, $"input {x.ShapeString} has an empty spatial dimension.");
        var rows = Enumerable.Range(0, outH).Select(i => NearestSource(i, h, outH)).ToArray();
        var cols = Enumerable.Range(0, outW).Select(i => NearestSource(i, w, outW)).ToArray();
        using var xc = ContiguousF32(x);
        var y = Tensor.Empty(n, c, outH, outW);
        nint src = (nint)xc.Data, dst = (nint)y.Data;
        ForRows((long)n * c, (long)outH * outW, (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                float* plane = (float*)src + p * h * w;
                float* o = (float*)dst + p * outH * outW;
                for (int oy = 0; oy < outH; oy++, o += outW)
                {
                    if (oy > 0 && rows[oy] == rows[oy - 1])
                    {
                        // Upsampling repeats source rows: copy the row just written.
                        Buffer.MemoryCopy(o - outW, o, outW * sizeof(float), outW * sizeof(float));
                        continue;
                    }
                    float* row = plane + (long)rows[oy] * w;
                    for (int ox = 0; ox < outW; ox++) o[ox] = row[cols[ox]];
                }
            }
        });
        return y;
    }

    /// <summary>torch's nearest_idx for size-given nearest interpolation.</summary>
    internal static int NearestSource(int dst, int inSize, int outSize)
    {
        if (outSize == inSize) return dst;
        if (outSize == 2 * inSize) return dst >> 1;
        float scale = (float)inSize / outSize;
        return Math.Min((int)MathF.Floor(dst * scale), inSize - 1);
    }

    /// <summary>F.avg_pool2d(x, kernelSize, stride) on [N, C, H, W] or [C, H, W], no padding, floor mode.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernelSize, int stride)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.AvgPool2d";
        if (x.Rank is not (3 or 4)) throw Tensor.ShapeError(op, $"input {x.ShapeString} must be [N, C, H, W] or [C, H, W].");
        if (kernelSize <= 0 || stride <= 0) throw Tensor.ShapeError(op, $"kernel size {kernelSize} and stride {stride} must be positive (input {x.ShapeString}).");
        int h = x.Size(-2), w = x.Size(-1);
        if (h < kernelSize || w < kernelSize) throw Tensor.ShapeError(op, $"input {x.ShapeString} is smaller than the {kernelSize}x{kernelSize} kernel.");
        int oh = (h - kernelSize) / stride + 1, ow = (w - kernelSize) / stride + 1;
        var shape = x.ShapeArray();
        shape[^2] = oh;
        shape[^1] = ow;
        using var xc = ContiguousF32(x);
        var y = Tensor.Empty(shape);
        long planes = h * w == 0 ? 0 : x.Count / ((long)h * w);
        nint src = (nint)xc.Data, dst = (nint)y.Data;
        double inv = 1.0 / (kernelSize * kernelSize);
        ForRows(planes, (long)h * w, (p0, p1) =>
        {
            for (long p = p0; p < p1; p++)
            {
                float* plane = (float*)src + p * h * w;
                float* o = (float*)dst + p * oh * ow;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double s = 0;
                        for (int ky = 0; ky < kernelSize; ky++)
                        {
                            float* row = plane + (long)(oy * stride + ky) * w + ox * stride;
                            for (int kx = 0; kx < kernelSize; kx++) s += row[kx];
                        }
                        *o++ = (float)(s * inv);
                    }
            }
        });
        return y;
    }

    /// <summary>F.embedding: rows of <paramref name="weight"/> [V, D] (F32/F16/BF16) gathered by <paramref name="ids"/> → [..idsShape, D].</summary>
    public static Tensor Embedding(ReadOnlySpan<long> ids, int[] idsShape, Tensor weight)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.Embedding";
        ArgumentNullException.ThrowIfNull(idsShape);
        if (weight.Rank != 2) throw Tensor.ShapeError(op, $"weight {weight.ShapeString} must be [V, D].");
        ShapeUtil.Validate(idsShape, op);
        if (ShapeUtil.Count(idsShape) != ids.Length)
            throw Tensor.ShapeError(op, $"{ids.Length} ids do not fill ids shape {ShapeUtil.Format(idsShape)}.");
        int v = weight.Size(0), d = weight.Size(1);
        for (int i = 0; i < ids.Length; i++)
            if ((ulong)ids[i] >= (ulong)v)
                throw Tensor.ShapeError(op, $"id {ids[i]} at position {i} is out of range for weight {weight.ShapeString} ({v} rows).");
        var y = Tensor.Empty([.. idsShape, d]);
        using var wc = weight.Contiguous();
        for (int i = 0; i < ids.Length; i++) CopyRowAsF32(wc, ids[i], y.Data + (long)i * d, d);
        return y;
    }

    /// <summary>torch.index_select(x, dim, indices): the slices of <paramref name="x"/> at <paramref name="indices"/> along <paramref name="dim"/>.</summary>
    public static Tensor IndexSelect(Tensor x, int dim, ReadOnlySpan<long> indices)
    {
        using var profile = OpProfile.Enter(OpKind.Shape);
        const string op = "F.IndexSelect";
        int d = Dim(x, dim, op);
        int size = x.Size(d);
        for (int i = 0; i < indices.Length; i++)
            if ((ulong)indices[i] >= (ulong)size)
                throw Tensor.ShapeError(op, $"index {indices[i]} at position {i} is out of range for dimension {dim} of size {size} (input {x.ShapeString}).");
        var shape = x.ShapeArray();
        shape[d] = indices.Length;
        var y = Tensor.Empty(shape);
        for (int i = 0; i < indices.Length; i++)
        {
            using var dst = y.Slice(d, i, i + 1);
            using var slice = x.Slice(d, (int)indices[i], (int)indices[i] + 1);
            using var src = AsF32(slice);
            dst.CopyFrom(src);
        }
        return y;
    }

    /// <summary>Row <paramref name="row"/> of a contiguous [V, D] tensor of any dtype, converted into <paramref name="dst"/>.</summary>
    static void CopyRowAsF32(Tensor table, long row, float* dst, int d)
    {
        var output = new Span<float>(dst, d);
        byte* p = (byte*)table.RawPointer + row * d * table.DType.Size();
        switch (table.DType)
        {
            case DType.F32: new ReadOnlySpan<float>(p, d).CopyTo(output); break;
            case DType.F16: TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(p, d), output); break;
            default: BFloat16.ToSingle(new ReadOnlySpan<ushort>(p, d), output); break;
        }
    }

    /// <summary>torch.arange(n, dtype=float32): 0, 1, …, n − 1.</summary>
    public static Tensor Arange(int n)
    {
        if (n < 0) throw new ArgumentException($"F.Arange: length must be non-negative, got {n}.");
        var y = Tensor.Empty(n);
        var s = y.AsSpan();
        for (int i = 0; i < n; i++) s[i] = i;
        return y;
    }

    /// <summary>
    /// torch.linspace(start, end, steps) in float32, computed as torch's CPU kernel does: step = (end − start)/(steps − 1)
    /// in float, the first half start + step·i and the second half end − step·(steps − 1 − i), each with one
    /// rounding (the kernel's multiply-add is contracted to an FMA; checked against torch's output).
    /// </summary>
    public static Tensor Linspace(float start, float end, int steps)
    {
        if (steps < 0) throw new ArgumentException($"F.Linspace: steps must be non-negative, got {steps}.");
        var y = Tensor.Empty(steps);
        var s = y.AsSpan();
        if (steps == 1) s[0] = start;
        if (steps <= 1) return y;
        float step = (end - start) / (steps - 1);
        int half = steps / 2;
        for (int i = 0; i < steps; i++)
            s[i] = i < half ? MathF.FusedMultiplyAdd(step, i, start) : MathF.FusedMultiplyAdd(-step, steps - i - 1, end);
        return y;
    }
}
