namespace Kandinsky.Lab.Tensors.Kernels;

/// <summary>
/// The iteration space of an elementwise op over a contiguous output and inputs expanded to the output shape
/// (stride 0 on broadcast dimensions). Size-1 dimensions are dropped and neighbours that are contiguous for
/// every operand are merged, so the innermost run is as long as possible and the row kernels see unit or
/// zero strides in the common cases (bias over channels, scale over rows).
/// </summary>
internal sealed class BroadcastLoop
{
    /// <summary>Sizes of the outer (row) dimensions after merging, outermost first.</summary>
    readonly int[] _outer;
    /// <summary>Per operand, the strides of the outer dimensions.</summary>
    readonly long[][] _outerStrides;

    BroadcastLoop(int[] outer, long[][] outerStrides, long[] innerStrides, int inner)
    {
        _outer = outer;
        _outerStrides = outerStrides;
        InnerStrides = innerStrides;
        Inner = inner;
        long rows = 1;
        foreach (var s in outer) rows *= s;
        Rows = rows;
    }

    /// <summary>Length of the innermost run.</summary>
    public int Inner { get; }
    /// <summary>Per operand, the stride along the innermost run.</summary>
    public long[] InnerStrides { get; }
    /// <summary>Number of innermost runs.</summary>
    public long Rows { get; }

    /// <param name="shape">The output shape.</param>
    /// <param name="strides">Per operand, element strides over <paramref name="shape"/>.</param>
    public static BroadcastLoop Create(ReadOnlySpan<int> shape, params long[][] strides)
    {
        var dims = new List<int>();
        var st = new List<long[]>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var column = new long[strides.Length];
            for (int k = 0; k < strides.Length; k++) column[k] = strides[k][d];
            if (dims.Count > 0 && Mergeable(st[^1], column, shape[d]))
            {
                dims[^1] *= shape[d];
                st[^1] = column;
                continue;
            }
            dims.Add(shape[d]);
            st.Add(column);
        }
        int ops = strides.Length;
        if (dims.Count == 0) return new BroadcastLoop([], Enumerable.Range(0, ops).Select(_ => Array.Empty<long>()).ToArray(), new long[ops], ShapeUtil.Count(shape) == 0 ? 0 : 1);
        int rank = dims.Count;
        var outerStrides = new long[ops][];
        for (int k = 0; k < ops; k++)
        {
            outerStrides[k] = new long[rank - 1];
            for (int d = 0; d < rank - 1; d++) outerStrides[k][d] = st[d][k];
        }
        return new BroadcastLoop(dims.Take(rank - 1).ToArray(), outerStrides, st[^1], dims[^1]);
    }

    /// <summary>An outer dimension merges into the inner one when, for every operand, stepping it once equals stepping the inner one <paramref name="innerSize"/> times.</summary>
    static bool Mergeable(long[] outer, long[] inner, int innerSize)
    {
        for (int k = 0; k < outer.Length; k++)
            if (outer[k] != inner[k] * innerSize) return false;
        return true;
    }

    /// <summary>Element offset of operand <paramref name="operand"/> at the start of row <paramref name="row"/>.</summary>
    public long Offset(int operand, long row)
    {
        var s = _outerStrides[operand];
        long off = 0;
        for (int d = _outer.Length - 1; d >= 0 && row != 0; d--)
        {
            long i = row % _outer[d];
            row /= _outer[d];
            off += i * s[d];
        }
        return off;
    }

    /// <summary>Columns per piece when long rows are cut up for threading.</summary>
    const int RunPiece = 1 << 14;

    /// <summary>
    /// Calls <paramref name="body"/>(row, start, length) for runs covering every row, in parallel when the work is
    /// large enough: whole rows in blocks when there are many, fixed-size pieces of each row when rows are few and
    /// long (a fully merged elementwise op is a single row). Runs never share output elements, so results do not
    /// depend on the thread count.
    /// </summary>
    public void ForRuns(Action<long, int, int> body)
    {
        if (Rows == 0 || Inner == 0) return;
        long total = Rows * Inner;
        if (total < 2 * RunPiece || Parallelism.Threads == 1)
        {
            for (long r = 0; r < Rows; r++) body(r, 0, Inner);
            return;
        }
        if (Rows >= 4L * Parallelism.Threads)
        {
            int blocks = (int)Math.Min(Rows, Math.Max(1, total / RunPiece));
            blocks = Math.Min(blocks, 4 * Parallelism.Threads);
            Parallelism.For(blocks, b =>
            {
                for (long r = Rows * b / blocks, end = Rows * (b + 1) / blocks; r < end; r++) body(r, 0, Inner);
            });
            return;
        }
        int pieces = (Inner + RunPiece - 1) / RunPiece;
        Parallelism.For(checked((int)(Rows * pieces)), k =>
        {
            long row = k / pieces;
            int start = k % pieces * RunPiece;
            body(row, start, Math.Min(RunPiece, Inner - start));
        });
    }
}
