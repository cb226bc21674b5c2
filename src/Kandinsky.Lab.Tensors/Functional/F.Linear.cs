using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

public static unsafe partial class F
{
    /// <summary>
    /// torch.nn.functional.linear: y = x·Wᵀ + b. input [..., in], weight [out, in] (F32/F16/BF16), bias [out].
    /// The weight is packed for the GEMM on first use and the pack is cached for as long as the weight tensor
    /// object lives (<see cref="PackedB.ForWeight"/>); weights are treated as immutable — after writing into a
    /// weight call <see cref="PackedB.Invalidate"/>. Call <see cref="PackedB.ForWeight"/> at load time to pay
    /// the packing cost up front.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        using var profile = OpProfile.Enter(OpKind.Gemm);
        input.RequireF32("F.Linear");
        if (weight.Rank != 2 || input.Rank < 1 || input.Size(-1) != weight.Size(1))
            throw Tensor.ShapeError("F.Linear", $"input {input.ShapeString} does not match weight {weight.ShapeString} (expected input [..., {(weight.Rank == 2 ? weight.Size(1) : -1)}] for weight [out, in]).");
        int outF = weight.Size(0), inF = weight.Size(1);
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != outF))
            throw Tensor.ShapeError("F.Linear", $"bias {bias.ShapeString} does not match weight {weight.ShapeString} (expected [{outF}]).");
        var outShape = input.ShapeArray();
        outShape[^1] = outF;
        var y = Tensor.Empty(outShape);
        int rows = checked((int)(ShapeUtil.Count(outShape) / Math.Max(outF, 1)));
        if (rows == 0 || outF == 0) return y;
        var packed = PackedB.ForWeight(weight);
        using var b = bias == null ? null : ContiguousF32(bias);
        float* biasData = b == null ? null : b.Data;
        if (inF == 0)
        {
            Gemm.Run(new StridedA(null, 0, 0), rows, packed, y.Data, outF, bias: biasData);
            return y;
        }
        using var x = input.Reshape(rows, inF); // a view unless the batch dimensions cannot be merged
        Gemm.Run(new StridedA(x.Data, x.Stride(0), x.Stride(1)), rows, packed, y.Data, outF, bias: biasData);
        return y;
    }

    /// <summary>torch.matmul for rank ≥ 2 operands with broadcast batch dimensions: [..., m, k] @ [..., k, n].</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        a.RequireF32("F.MatMul");
        b.RequireF32("F.MatMul");
        if (a.Rank < 2 || b.Rank < 2 || a.Size(-1) != b.Size(-2))
            throw Tensor.ShapeError("F.MatMul", $"shapes {a.ShapeString} and {b.ShapeString} cannot be multiplied (expected [..., m, k] and [..., k, n]).");
        int m = a.Size(-2), k = a.Size(-1), n = b.Size(-1);
        int[] batch;
        try
        {
            batch = ShapeUtil.Broadcast(a.Shape[..^2], b.Shape[..^2], "F.MatMul");
        }
        catch (ArgumentException e)
        {
            throw Tensor.ShapeError("F.MatMul", $"batch dimensions of {a.ShapeString} and {b.ShapeString} do not broadcast ({e.Message}).");
        }
        using var ae = a.Expand([.. batch, m, k]);
        using var be = b.Expand([.. batch, k, n]);
        return BatchedMatMul(ae, be, batch, m, k, n);
    }

    /// <summary>torch.bmm: [B, m, k] @ [B, k, n] → [B, m, n]. Transposed (non-contiguous) operands are read without a copy.</summary>
    public static Tensor Bmm(Tensor a, Tensor b)
    {
        a.RequireF32("F.Bmm");
        b.RequireF32("F.Bmm");
        if (a.Rank != 3 || b.Rank != 3 || a.Size(0) != b.Size(0) || a.Size(2) != b.Size(1))
            throw Tensor.ShapeError("F.Bmm", $"shapes {a.ShapeString} and {b.ShapeString} do not match (expected [B, m, k] and [B, k, n]).");
        return BatchedMatMul(a, b, [a.Size(0)], a.Size(1), a.Size(2), b.Size(2));
    }

    /// <summary>
    /// a [..batch, m, k] @ b [..batch, k, n] for views with any strides (stride 0 for broadcast batches, swapped
    /// strides for transposes): each distinct B matrix is packed once, then all batches' output tiles share one
    /// parallel loop.
    /// </summary>
    static Tensor BatchedMatMul(Tensor a, Tensor b, int[] batch, int m, int k, int n)
    {
        using var profile = OpProfile.Enter(OpKind.Gemm);
        var y = Tensor.Empty([.. batch, m, n]);
        int batches = checked((int)ShapeUtil.Count(batch));
        if (batches == 0 || m == 0 || n == 0) return y;
        var aOffsets = BatchOffsets(a, batch);
        var bOffsets = BatchOffsets(b, batch);
        var distinct = new Dictionary<long, int>();
        var bIndex = new int[batches];
        for (int i = 0; i < batches; i++)
            if (!distinct.TryGetValue(bOffsets[i], out bIndex[i])) distinct[bOffsets[i]] = bIndex[i] = distinct.Count;
        var bOffsetOf = new long[distinct.Count];
        foreach (var (offset, index) in distinct) bOffsetOf[index] = offset;
        var packs = new PackedB[distinct.Count];
        nint bData = (nint)b.Data, aData = (nint)a.Data, yData = (nint)y.Data;
        long bRs = b.Stride(-2), bCs = b.Stride(-1), aRs = a.Stride(-2), aCs = a.Stride(-1);
        try
        {
            Parallelism.For(packs.Length, u => packs[u] = PackedB.Pack((float*)bData + bOffsetOf[u], k, n, bRs, bCs, parallel: false));
            var sources = new GemmASource[batches];
            for (int i = 0; i < batches; i++) sources[i] = new StridedA((float*)aData + aOffsets[i], aRs, aCs);
            int tiles = Gemm.TileCount(m, n);
            Parallelism.For(batches * tiles, t =>
            {
                int i = t / tiles;
                Gemm.RunTile(t % tiles, sources[i], m, packs[bIndex[i]], (float*)yData + (long)i * m * n, n, 1f, 0f, null, 1);
            });
        }
        finally
        {
            foreach (var p in packs) p?.Dispose();
        }
        return y;
    }

    /// <summary>Element offset of each batch matrix (row-major over <paramref name="batch"/>) in a [..batch, r, c] view.</summary>
    static long[] BatchOffsets(Tensor t, int[] batch)
    {
        int count = checked((int)ShapeUtil.Count(batch));
        var offsets = new long[count];
        var index = new int[batch.Length];
        for (int i = 0; i < count; i++)
        {
            long off = 0;
            for (int d = 0; d < batch.Length; d++) off += index[d] * t.Stride(d);
            offsets[i] = off;
            for (int d = batch.Length - 1; d >= 0 && ++index[d] == batch[d]; d--) index[d] = 0;
        }
        return offsets;
    }
}
