using Kandinsky.Lab.Tensors;

namespace Kandinsky.Lab.Tests.Tensors;

/// <summary>The profile is process-wide: no other test may run ops while these count them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OpProfileCollection
{
    public const string Name = "Process-wide op profile";
}

[Collection(OpProfileCollection.Name)]
public class OpProfileTests
{
    static readonly Tensor X = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);

    static Dictionary<OpKind, long> CallsDuring(Action ops, bool enabled)
    {
        OpProfile.Reset();
        OpProfile.Enabled = enabled;
        try { ops(); }
        finally { OpProfile.Enabled = false; }
        return OpProfile.Totals().ToDictionary(t => t.Kind, t => t.Calls);
    }

    [Fact]
    public void Each_op_counts_once_under_its_kind()
    {
        var calls = CallsDuring(() =>
        {
            using var w = Tensor.FromArray([1f, 0f, 0f, 0f, 1f, 0f], 2, 3);
            using var y = F.Linear(X, w);
            using var n = F.LayerNorm(y, null, null, 1e-5f);
            using var r = F.Rsqrt(X);
            using var s = F.Softmax(X, -1);
            using var c = F.Cat([X, X], 0);
        }, enabled: true);
        Assert.Equal(1, calls[OpKind.Gemm]);
        Assert.Equal(1, calls[OpKind.Norm]);
        Assert.Equal(2, calls[OpKind.Elementwise]);
        Assert.Equal(1, calls[OpKind.Shape]);
        Assert.Equal(0, calls[OpKind.Conv]);
        Assert.True(OpProfile.Totals().Single(t => t.Kind == OpKind.Gemm).Seconds > 0);
    }

    [Fact]
    public void An_op_inside_another_counts_as_the_outer_one()
    {
        var calls = CallsDuring(() =>
        {
            using var conv = OpProfile.Enter(OpKind.Conv);
            using var y = F.Add(X, X);
        }, enabled: true);
        Assert.Equal(1, calls[OpKind.Conv]);
        Assert.Equal(0, calls[OpKind.Elementwise]);
    }

    [Fact]
    public void Nothing_is_recorded_when_off()
    {
        var calls = CallsDuring(() => { using var y = F.Add(X, X); using var z = F.Silu(y); }, enabled: false);
        Assert.All(calls.Values, c => Assert.Equal(0, c));
    }
}
