using FsCheck;
using FsCheck.Fluent;
using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

public class OpsPropertyTests
{
    static readonly Gen<int[]> SmallShapes =
        from rank in Gen.Choose(1, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 9), rank)
        select dims;

    [Fact]
    public void SoftmaxRowsSumToOne()
    {
        var cases = from shape in SmallShapes
                    from dimSeed in Gen.Choose(0, 100)
                    from seed in Gen.Choose(0, 10000)
                    select (shape, dim: dimSeed % shape.Length, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var x = Oracle.Random(new Random(c.seed), c.shape, 20f);
            using var y = F.Softmax(x, c.dim);
            using var s = F.Sum(y, [c.dim]);
            return y.ToArray().All(v => v >= 0 && v <= 1) && s.ToArray().All(v => Math.Abs(v - 1) < 1e-5);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void CatThenSplitRoundTrips()
    {
        var cases = from shape in SmallShapes
                    from dimSeed in Gen.Choose(0, 100)
                    from pieces in Gen.Choose(1, 4)
                    from seed in Gen.Choose(0, 10000)
                    select (shape, dim: dimSeed % shape.Length, pieces, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var parts = Enumerable.Range(0, c.pieces).Select(_ =>
            {
                var sh = (int[])c.shape.Clone();
                sh[c.dim] = rng.Next(0, 4);
                return Oracle.Random(rng, sh);
            }).ToArray();
            using var joined = F.Cat(parts, c.dim);
            var back = joined.Split(parts.Select(p => p.Size(c.dim)).ToArray(), c.dim);
            bool same = parts.Zip(back).All(pb => pb.First.ShapeArray().SequenceEqual(pb.Second.ShapeArray()) && pb.First.ToArray().SequenceEqual(pb.Second.ToArray()));
            foreach (var t in parts.Concat(back)) t.Dispose();
            return same;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void GroupNormGivesZeroMeanUnitVariancePerGroup()
    {
        var cases = from n in Gen.Choose(1, 3)
                    from groups in Gen.Choose(1, 4)
                    from perGroup in Gen.Choose(1, 4)
                    from hw in Gen.Choose(2, 12)
                    from offset in Gen.Choose(-50, 50)
                    from seed in Gen.Choose(0, 10000)
                    select (n, groups, c: groups * perGroup, hw, offset, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var x0 = Oracle.Random(new Random(c.seed), [c.n, c.c, c.hw, c.hw], 3f);
            using var x = F.Add(x0, c.offset);
            using var y = F.GroupNorm(x, c.groups, null, null, 1e-6f);
            using var grouped = y.Reshape(c.n, c.groups, -1);
            using var mean = F.Mean(grouped, [-1]);
            using var variance = F.Var(grouped, [-1], unbiased: false);
            return mean.ToArray().All(m => Math.Abs(m) < 1e-4) && variance.ToArray().All(v => Math.Abs(v - 1) < 1e-3);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LayerNormIgnoresPositiveAffineChangesOfTheInput()
    {
        var cases = from d in Gen.Choose(2, 80)
                    from scale in Gen.Choose(1, 50)
                    from shift in Gen.Choose(-20, 20)
                    from seed in Gen.Choose(0, 10000)
                    select (d, scale: scale / 10f, shift, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var x = Oracle.Random(new Random(c.seed), [3, c.d]);
            using var scaled = F.Mul(x, c.scale);
            using var moved = F.Add(scaled, c.shift);
            using var a = F.LayerNorm(x, null, null, 0);
            using var b = F.LayerNorm(moved, null, null, 0);
            return a.ToArray().Zip(b.ToArray()).All(p => Math.Abs(p.First - p.Second) < 2e-3);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void BroadcastingIsSymmetric()
    {
        var cases = from shape in SmallShapes
                    from mask in Gen.Choose(0, 15)
                    from seed in Gen.Choose(0, 10000)
                    select (shape, mask, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var other = c.shape.Select((s, i) => (c.mask >> i & 1) == 1 ? 1 : s).ToArray();
            using var a = Oracle.Random(rng, c.shape);
            using var b = Oracle.Random(rng, other);
            using var ab = F.Add(a, b);
            using var ba = F.Add(b, a);
            using var mab = F.Maximum(a, b);
            using var mba = F.Maximum(b, a);
            return ab.ToArray().SequenceEqual(ba.ToArray()) && mab.ToArray().SequenceEqual(mba.ToArray());
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Stride-0 (expanded) and sliced inputs give exactly what their contiguous copies give.</summary>
    [Fact]
    public void ExpandedAndSlicedInputsEqualTheirContiguousCopies()
    {
        var rng = new Random(42);
        using var column = Oracle.Random(rng, [2, 8, 1, 5]);
        using var expanded = column.Expand(2, 8, 6, 5);
        using var wide = Oracle.Random(rng, [2, 8, 6, 9]);
        using var sliced = wide.Slice(3, 2, 7);
        using var w = Oracle.Random(rng, [8]);
        foreach (var view in new[] { expanded, sliced })
        {
            using var dense = view.Contiguous();
            var ops = new (string Name, Func<Tensor, Tensor> Run)[]
            {
                ("Silu", F.Silu), ("Gelu", t => F.Gelu(t)), ("Exp", F.Exp), ("Softmax", t => F.Softmax(t, -1)), ("SoftmaxDim2", t => F.Softmax(t, 2)),
                ("Sum", t => F.Sum(t, [1, 2])), ("Var", t => F.Var(t, [-1])), ("Max", t => F.Max(t, 2)), ("LayerNorm", t => F.LayerNorm(t, null, null, 1e-5f)),
                ("GroupNorm", t => F.GroupNorm(t, 4, w, w, 1e-5f)), ("Mul", t => F.Mul(t, t)), ("Pad", t => F.Pad(t, 1, -1, 2, 0)),
                ("Interpolate", t => F.Interpolate(t, 9, 4)), ("Cat", t => F.Cat([t, t], 1)), ("IndexSelect", t => F.IndexSelect(t, 2, [4, 0])),
            };
            foreach (var (name, run) in ops)
            {
                using var a = run(view);
                using var b = run(dense);
                Assert.True(a.ToArray().AsSpan().SequenceEqual(b.ToArray()), $"{name} on {view.ShapeString} view with strides [{string.Join(", ", view.Strides.ToArray())}]");
            }
        }
    }

    /// <summary>Every op that splits work over threads gives bit-identical results with 1 and 2 threads.</summary>
    [Fact]
    public void ResultsAreBitEqualForAnyThreadCount()
    {
        var rng = new Random(41);
        using var x = Oracle.Random(rng, [2, 64, 24, 24], 3f);
        using var bias = Oracle.Random(rng, [64, 1, 1]);
        using var w = Oracle.Random(rng, [64]);
        using var rows = Oracle.Random(rng, [300, 333], 6f);
        using var lnW = Oracle.Random(rng, [333]);
        var ops = new (string Name, Func<Tensor> Run)[]
        {
            ("Add", () => F.Add(x, bias)), ("AddSameShape", () => F.Add(x, x)), ("MulScalar", () => F.Mul(x, 0.3f)), ("Where", () => F.Where(x, bias, x)), ("Silu", () => F.Silu(x)), ("Gelu", () => F.Gelu(x)),
            ("Exp", () => F.Exp(x)), ("Softmax", () => F.Softmax(rows, -1)), ("SoftmaxDim0", () => F.Softmax(rows, 0)),
            ("LogSoftmax", () => F.LogSoftmax(rows, 1)), ("GroupNorm", () => F.GroupNorm(x, 32, w, w, 1e-5f)),
            ("LayerNorm", () => F.LayerNorm(rows, lnW, lnW, 1e-5f)), ("Sum", () => F.Sum(x, [1, 3])), ("Var", () => F.Var(rows, [-1])),
            ("Interpolate", () => F.Interpolate(x, 48, 48)), ("AvgPool2d", () => F.AvgPool2d(x, 2, 2)), ("Mean", () => F.Mean(x, [0])),
        };
        foreach (var (name, run) in ops)
            Assert.True(ThreadCounts.SameBits(run, 1, 2, 7), $"{name}: results differ between 1, 2 and 7 threads");
    }
}
