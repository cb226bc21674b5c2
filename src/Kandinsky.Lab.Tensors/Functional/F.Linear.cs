using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

public static unsafe partial class F
{
    /// <summary>torch.nn.functional.linear: y = x·Wᵀ + b. input [..., in], weight [out, in] (F32/F16/BF16), bias [out].</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        input.RequireF32("F.Linear");
        if (weight.Rank != 2 || input.Rank < 1 || input.Size(-1) != weight.Size(1))
            throw Tensor.ShapeError("F.Linear", $"input {input.ShapeString} does not match weight {weight.ShapeString} (expected input [..., {(weight.Rank == 2 ? weight.Size(1) : -1)}] for weight [out, in]).");
        int outF = weight.Size(0), inF = weight.Size(1);
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != outF))
            throw Tensor.ShapeError("F.Linear", $"bias {bias.ShapeString} does not match weight {weight.ShapeString} (expected [{outF}]).");
        var outShape = input.ShapeArray();
        outShape[^1] = outF;
        int rows = checked((int)(input.Count / Math.Max(inF, 1)));
        if (inF == 0) rows = (int)(input.Count == 0 ? ShapeUtil.Count(outShape) / Math.Max(outF, 1) : 0);
        using var x = input.Contiguous();
        using var w = weight.DType == DType.F32 ? weight.Contiguous() : weight.ToFloat32();
        var y = Tensor.Empty(outShape);
        if (bias != null)
        {
            using var b = bias.DType == DType.F32 ? bias.Contiguous() : bias.ToFloat32();
            for (int r = 0; r < rows; r++) new Span<float>(b.Data, outF).CopyTo(new Span<float>(y.Data + (long)r * outF, outF));
        }
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, w.Data, inF, bias != null ? 1f : 0f, y.Data, outF);
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
        var batch = ShapeUtil.Broadcast(a.Shape[..^2], b.Shape[..^2], "F.MatMul");
        using var ae = a.Expand([.. batch, m, k]);
        using var be = b.Expand([.. batch, k, n]);
        int batches = (int)ShapeUtil.Count(batch);
        using var a3 = ae.Reshape(batches, m, k);
        using var b3 = be.Reshape(batches, k, n);
        using var y3 = Bmm(a3, b3);
        return y3.Reshape([.. batch, m, n]);
    }

    /// <summary>torch.bmm: [B, m, k] @ [B, k, n] → [B, m, n]. Transposed (non-contiguous) operands are read without a copy.</summary>
    public static Tensor Bmm(Tensor a, Tensor b)
    {
        a.RequireF32("F.Bmm");
        b.RequireF32("F.Bmm");
        if (a.Rank != 3 || b.Rank != 3 || a.Size(0) != b.Size(0) || a.Size(2) != b.Size(1))
            throw Tensor.ShapeError("F.Bmm", $"shapes {a.ShapeString} and {b.ShapeString} do not match (expected [B, m, k] and [B, k, n]).");
        int batches = a.Size(0), m = a.Size(1), k = a.Size(2), n = b.Size(2);
        var y = Tensor.Empty(batches, m, n);
        using var ac = a.Contiguous();
        using var bc = b.Contiguous();
        for (int i = 0; i < batches; i++)
            Gemm.Sgemm(false, false, m, n, k, 1f, ac.Data + (long)i * m * k, k, bc.Data + (long)i * k * n, n, 0f, y.Data + (long)i * m * n, n);
        return y;
    }
}
