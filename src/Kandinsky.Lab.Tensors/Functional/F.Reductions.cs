using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Tensors;

/// <summary>Reductions (torch.sum, mean, var, max, argmax) and softmax.</summary>
public static unsafe partial class F
{
    /// <summary>torch.sum over <paramref name="dims"/> (negative allowed; empty = all dimensions, as torch).</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) =>
        Reduce(x, dims, keepDim, "F.Sum", static (row, n) => SumRow(row, n));

    /// <summary>torch.mean over <paramref name="dims"/> (NaN for an empty reduction, as torch).</summary>
    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) =>
        Reduce(x, dims, keepDim, "F.Mean", static (row, n) => SumRow(row, n) / n);

    /// <summary>torch.var over <paramref name="dims"/>: divisor n − 1 when <paramref name="unbiased"/>, else n (two passes in double).</summary>
    public static Tensor Var(Tensor x, int[] dims, bool unbiased = true, bool keepDim = false) =>
        Reduce(x, dims, keepDim, "F.Var", unbiased ? static (row, n) => VarianceRow(row, n, 1) : static (row, n) => VarianceRow(row, n, 0));

    /// <summary>The values of torch.max(x, dim): NaN wins, as in torch.</summary>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) =>
        Reduce(x, [Dim(x, dim, "F.Max")], keepDim, "F.Max", static (row, n) => row[ArgExtremum(row, n, max: true)], requireNonEmpty: true);

    /// <summary>The values of torch.min(x, dim): NaN wins, as in torch.</summary>
    public static Tensor Min(Tensor x, int dim, bool keepDim = false) =>
        Reduce(x, [Dim(x, dim, "F.Min")], keepDim, "F.Min", static (row, n) => row[ArgExtremum(row, n, max: false)], requireNonEmpty: true);

    /// <summary>torch.argmax(x, dim): index of the first maximum (of the first NaN if any), in row-major order of the remaining dimensions.</summary>
    public static long[] Argmax(Tensor x, int dim) => ArgReduce(x, dim, max: true, "F.Argmax");

    /// <summary>torch.argmin(x, dim): index of the first minimum (of the first NaN if any), in row-major order of the remaining dimensions.</summary>
    public static long[] Argmin(Tensor x, int dim) => ArgReduce(x, dim, max: false, "F.Argmin");

    delegate double RowReduction(float* row, long n);

    /// <summary>Moves the reduced dimensions last, makes them contiguous and reduces each row.</summary>
    static Tensor Reduce(Tensor x, int[] dims, bool keepDim, string op, RowReduction reduce, bool requireNonEmpty = false)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        var reduced = Dims(x, dims, op);
        using var rows = ReducedLast(x, reduced, op, requireNonEmpty, out long outer, out long n);
        var y = Tensor.Empty(ReducedShape(x, reduced, keepDim));
        nint src = (nint)rows.Data, dst = (nint)y.Data;
        ForRows(outer, n, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++) ((float*)dst)[r] = (float)reduce((float*)src + r * n, n);
        });
        return y;
    }

    static long[] ArgReduce(Tensor x, int dim, bool max, string op)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        var reduced = new[] { Dim(x, dim, op) };
        using var rows = ReducedLast(x, reduced, op, requireNonEmpty: true, out long outer, out long n);
        var result = new long[outer];
        nint src = (nint)rows.Data;
        ForRows(outer, n, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++) result[r] = ArgExtremum((float*)src + r * n, n, max);
        });
        return result;
    }

    /// <summary>x permuted so the <paramref name="reduced"/> dimensions come last, as contiguous [outer, n] float32.</summary>
    static Tensor ReducedLast(Tensor x, int[] reduced, string op, bool requireNonEmpty, out long outer, out long n)
    {
        n = 1;
        foreach (var d in reduced) n *= x.Size(d);
        if (requireNonEmpty && n == 0)
            throw Tensor.ShapeError(op, $"cannot reduce over an empty dimension of input {x.ShapeString}.");
        outer = n == 0 ? ShapeUtil.Count(ReducedShape(x, reduced, keepDim: false)) : x.Count / n;
        var order = Enumerable.Range(0, x.Rank).Where(d => Array.IndexOf(reduced, d) < 0).Concat(reduced).ToArray();
        using var xf = AsF32(x);
        using var permuted = xf.Permute(order);
        return permuted.Contiguous();
    }

    static int[] ReducedShape(Tensor x, int[] reduced, bool keepDim)
    {
        var shape = new List<int>();
        for (int d = 0; d < x.Rank; d++)
        {
            if (Array.IndexOf(reduced, d) < 0) shape.Add(x.Size(d));
            else if (keepDim) shape.Add(1);
        }
        return shape.ToArray();
    }

    /// <summary>Runs <paramref name="body"/> over blocks of independent rows, in parallel when there is enough work.</summary>
    static void ForRows(long rows, long rowLength, Action<long, long> body)
    {
        if (rows <= 0) return;
        long work = rows * Math.Max(rowLength, 1);
        int blocks = (int)Math.Clamp(work / (1 << 14), 1, Math.Min(rows, 4L * Parallelism.Threads));
        if (blocks == 1) { body(0, rows); return; }
        Parallelism.For(blocks, b => body(rows * b / blocks, rows * (b + 1) / blocks));
    }

    static double SumRow(float* row, long n) => RowKernels.Sum(row, n);

    static double VarianceRow(float* row, long n, int correction)
    {
        if (n - correction <= 0) return double.NaN;
        double mean = RowKernels.Sum(row, n) / n;
        float meanF = (float)mean;
        double diff = mean - meanF;
        return (RowKernels.SumSquaredDeviation(row, n, meanF) - n * diff * diff) / (n - correction);
    }

    /// <summary>Index of the first maximum (or minimum) of a row; the first NaN wins, as in torch.</summary>
    static long ArgExtremum(float* row, long n, bool max)
    {
        long best = 0;
        float v = row[0];
        if (float.IsNaN(v)) return 0;
        for (long i = 1; i < n; i++)
        {
            float e = row[i];
            if (float.IsNaN(e)) return i;
            if (max ? e > v : e < v) { v = e; best = i; }
        }
        return best;
    }

    /// <summary>F.softmax(x, dim): exp(x − max) / Σ exp(x − max) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim) => SoftmaxCore(x, dim, log: false, "F.Softmax");

    /// <summary>F.log_softmax(x, dim): x − max − log Σ exp(x − max) along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => SoftmaxCore(x, dim, log: true, "F.LogSoftmax");

    static Tensor SoftmaxCore(Tensor x, int dim, bool log, string op)
    {
        using var profile = OpProfile.Enter(OpKind.Elementwise);
        int d = Dim(x, dim, op);
        if (d != x.Rank - 1)
        {
            // Softmax over an inner dimension: run the row kernel on the transposed copy and transpose back.
            using var moved = x.Transpose(d, -1);
            using var rows = SoftmaxCore(moved, -1, log, op);
            using var back = rows.Transpose(d, -1);
            return back.Contiguous();
        }
        using var c = ContiguousF32(x);
        var y = Tensor.Empty(x.ShapeArray());
        int n = x.Size(-1);
        long count = n == 0 ? 0 : x.Count / n;
        nint src = (nint)c.Data, dst = (nint)y.Data;
        ForRows(count, n, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xs = (float*)src + r * n, ys = (float*)dst + r * n;
                if (log) RowKernels.LogSoftmax(xs, ys, n);
                else RowKernels.Softmax(xs, ys, n);
            }
        });
        return y;
    }
}
