namespace Kandinsky.Lab.Tensors;

/// <summary>Views: new tensors over the same storage. Each must be disposed like any tensor.</summary>
public sealed partial class Tensor
{
    Tensor View(int[] shape, long[] strides, long offset)
    {
        ThrowIfDisposed();
        return new Tensor(Storage, DType, shape, strides, offset);
    }

    /// <summary>Another reference to the same elements (same shape and strides).</summary>
    public Tensor Alias() => View(_shape, _strides, Offset);

    /// <summary>
    /// torch.reshape: a view when the strides allow it, otherwise a contiguous copy. One dimension may be -1.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        var target = InferShape(shape, "Reshape");
        if (TryViewStrides(target, out var strides)) return View(target, strides, Offset);
        using var c = Contiguous();
        return c.View(target, ShapeUtil.ContiguousStrides(target), c.Offset);
    }

    int[] InferShape(int[] shape, string op)
    {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw ShapeError(op, $"only one dimension can be -1, got {ShapeUtil.Format(shape)}.");
                infer = i;
            }
            else if (shape[i] < 0) throw ShapeError(op, $"invalid dimension {shape[i]} in {ShapeUtil.Format(shape)}.");
            else known *= shape[i];
        }
        var result = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || Count % known != 0)
                throw ShapeError(op, $"cannot reshape {ShapeString} ({Count} elements) into {ShapeUtil.Format(shape)}.");
            result[infer] = (int)(Count / known);
        }
        if (ShapeUtil.Count(result) != Count)
            throw ShapeError(op, $"cannot reshape {ShapeString} ({Count} elements) into {ShapeUtil.Format(shape)}.");
        return result;
    }

    /// <summary>
    /// Strides for viewing this tensor as <paramref name="target"/> without a copy (torch.view's rule): old
    /// dimensions are grouped into runs that are contiguous with each other, and each run must be covered
    /// exactly by a run of new dimensions.
    /// </summary>
    bool TryViewStrides(int[] target, out long[] strides)
    {
        strides = ShapeUtil.ContiguousStrides(target);
        if (Count == 0 || Rank == 0) return true;
        int viewD = target.Length - 1;
        long runBaseStride = _strides[Rank - 1];
        long oldRun = 1, newRun = 1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            oldRun *= _shape[d];
            bool runEnds = d == 0 || (_shape[d - 1] != 1 && _strides[d - 1] != oldRun * runBaseStride);
            if (!runEnds) continue;
            while (viewD >= 0 && (newRun < oldRun || target[viewD] == 1))
            {
                strides[viewD] = newRun * runBaseStride;
                newRun *= target[viewD];
                viewD--;
            }
            if (newRun != oldRun) return false;
            if (d > 0)
            {
                runBaseStride = _strides[d - 1];
                oldRun = 1;
                newRun = 1;
            }
        }
        return viewD == -1;
    }

    /// <summary>torch.permute.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw ShapeError("Permute", $"{dims.Length} dimensions given for a tensor of rank {Rank} (shape {ShapeString}).");
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new long[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int d = NormDim(dims[i]);
            if (seen[d]) throw ShapeError("Permute", $"dimension {dims[i]} repeated in [{string.Join(", ", dims)}].");
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
        }
        return View(shape, strides, Offset);
    }

    /// <summary>torch.transpose(dim0, dim1).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var order = Enumerable.Range(0, Rank).ToArray();
        int a = NormDim(dim0), b = NormDim(dim1);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>torch.narrow / x[..., start:end, ...] along <paramref name="dim"/>.</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int d = NormDim(dim);
        if (start < 0) start += _shape[d];
        if (end < 0) end += _shape[d];
        if (start < 0 || end > _shape[d] || start > end)
            throw ShapeError("Slice", $"range {start}..{end} is out of bounds for dimension {dim} of size {_shape[d]} (shape {ShapeString}).");
        var shape = (int[])_shape.Clone();
        shape[d] = end - start;
        return View(shape, (long[])_strides.Clone(), Offset + start * _strides[d]);
    }

    /// <summary>torch.select: index <paramref name="index"/> of <paramref name="dim"/>, removing that dimension.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = NormDim(dim);
        if (index < 0) index += _shape[d];
        if ((uint)index >= (uint)_shape[d])
            throw ShapeError("Select", $"index {index} is out of range for dimension {dim} of size {_shape[d]} (shape {ShapeString}).");
        var shape = _shape.Where((_, i) => i != d).ToArray();
        var strides = _strides.Where((_, i) => i != d).ToArray();
        return View(shape, strides, Offset + index * _strides[d]);
    }

    /// <summary>torch.chunk: <paramref name="chunks"/> views of size ceil(n / chunks) (the last may be smaller).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw ShapeError("Chunk", $"chunks must be positive, got {chunks}.");
        int d = NormDim(dim);
        int size = (_shape[d] + chunks - 1) / chunks;
        return Split(Math.Max(size, 1), d);
    }

    /// <summary>torch.split with a fixed size: views of <paramref name="size"/> along <paramref name="dim"/>.</summary>
    public Tensor[] Split(int size, int dim = 0)
    {
        if (size <= 0) throw ShapeError("Split", $"split size must be positive, got {size}.");
        int d = NormDim(dim);
        var parts = new List<Tensor>();
        for (int s = 0; s < _shape[d]; s += size) parts.Add(Slice(d, s, Math.Min(s + size, _shape[d])));
        return parts.ToArray();
    }

    /// <summary>torch.split with explicit sizes.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = NormDim(dim);
        if (sizes.Sum() != _shape[d])
            throw ShapeError("Split", $"sizes [{string.Join(", ", sizes)}] do not add up to dimension {dim} of size {_shape[d]} (shape {ShapeString}).");
        var parts = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++) { parts[i] = Slice(d, start, start + sizes[i]); start += sizes[i]; }
        return parts;
    }

    public Tensor Unsqueeze(int dim)
    {
        int d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw ShapeError("Unsqueeze", $"dimension {dim} is out of range for rank {Rank} (shape {ShapeString}).");
        var shape = _shape.ToList();
        var strides = _strides.ToList();
        shape.Insert(d, 1);
        strides.Insert(d, d < Rank ? _strides[d] * _shape[d] : 1);
        return View(shape.ToArray(), strides.ToArray(), Offset);
    }

    public Tensor Squeeze(int dim)
    {
        int d = NormDim(dim);
        if (_shape[d] != 1) return Alias();
        return Select(d, 0);
    }

    /// <summary>torch.flatten(start, end).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = NormDim(startDim), e = NormDim(endDim);
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(_shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= _shape[i];
        shape.Add(merged);
        for (int i = e + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape(shape.ToArray());
    }

    /// <summary>torch.expand: broadcast size-1 dimensions to <paramref name="shape"/> with stride 0 (-1 keeps a size).</summary>
    public Tensor Expand(params int[] shape)
    {
        if (shape.Length < Rank) throw ShapeError("Expand", $"target {ShapeUtil.Format(shape)} has fewer dimensions than {ShapeString}.");
        var strides = new long[shape.Length];
        var result = new int[shape.Length];
        int lead = shape.Length - Rank;
        for (int i = 0; i < shape.Length; i++)
        {
            int src = i - lead;
            int have = src >= 0 ? _shape[src] : 1;
            int want = shape[i] == -1 ? have : shape[i];
            if (have == want) { result[i] = want; strides[i] = src >= 0 ? _strides[src] : 0; }
            else if (have == 1) { result[i] = want; strides[i] = 0; }
            else throw ShapeError("Expand", $"cannot expand {ShapeString} to {ShapeUtil.Format(shape)} (dimension {i}: {have} vs {want}).");
        }
        return View(result, strides, Offset);
    }
}
