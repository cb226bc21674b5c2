using System.CommandLine;
using System.Globalization;
using Kandinsky.Lab.Tensors;
using Kandinsky.Lab.Tensors.Kernels;

namespace Kandinsky.Lab.Cli.Commands.Bench;

/// <summary>`kandinsky-lab bench attention`: fused F.ScaledDotProductAttention against the unfused matmul-softmax-matmul on the same micro-kernel.</summary>
public static class AttentionBench
{
    public static Command Create()
    {
        var q = new Option<int>("--q") { Description = "Query tokens Lq.", Required = true };
        var k = new Option<int>("--k") { Description = "Key tokens Lk.", Required = true };
        var d = new Option<int>("--d") { Description = "Head dimension D (query/key).", Required = true };
        var dv = new Option<int?>("--dv") { Description = "Value head dimension (default D)." };
        var heads = new Option<int>("--heads") { Description = "Heads H.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Batch B.", DefaultValueFactory = _ => 1 };
        var causal = new Option<bool>("--causal") { Description = "Causal mask." };
        var gemm = new Option<bool>("--gemm-baseline") { Description = "Also time F.MatMul → F.Softmax → F.MatMul (the engine's Gemm.Sgemm path)." };
        var runs = new Option<int>("--runs") { Description = "Timed runs after a warm-up (at least 3 calls and 0.5 s); medians are printed.", DefaultValueFactory = _ => 7 };
        var threads = new Option<int?>("--threads") { Description = "Parallelism.Threads (default: all processors)." };
        var cmd = new Command("attention", "Fused attention GFLOP/s and its speed-up over the unfused baseline (same GEMM micro-kernel, same run).")
        {
            q, k, d, dv, heads, batch, causal, gemm, runs, threads,
        };
        cmd.SetAction(r =>
        {
            int b = r.AtLeast(batch, 1), h = r.AtLeast(heads, 1), lq = r.AtLeast(q, 1), lk = r.AtLeast(k, 1), dk = r.AtLeast(d, 1), dvv = r.AtLeast(dv, 1) ?? dk;
            double rows = (double)b * h, scores = rows * lq * lk;   // the unfused baseline's scores and their softmax
            var shape = $"--batch {b} --heads {h} --q {lq} --k {lk} --d {dk} --dv {dvv}";
            Usage.FitsInTensor(Math.Max(scores, rows * Math.Max(lq, lk) * Math.Max(dk, dvv)), shape);
            Usage.FitsInMemory(4 * (2 * scores + rows * (lq * (dk + 2.0 * dvv) + lk * (dk + (double)dvv))), shape);
            Console.WriteLine(Run(b, h, lq, lk, dk, dvv, r.GetValue(causal), r.GetValue(gemm), r.AtLeast(runs, 1), r.AtLeast(threads, 1)));
        });
        return cmd;
    }

    public static string Run(int batch, int heads, int lq, int lk, int d, int dv, bool causal, bool gemmBaseline, int runs, int? threads)
    {
        if (threads is int t) Parallelism.Threads = t;
        using var query = KernelTiming.RandomTensor(1, batch, heads, lq, d);
        using var key = KernelTiming.RandomTensor(2, batch, heads, lk, d);
        using var value = KernelTiming.RandomTensor(3, batch, heads, lk, dv);
        double flops = 2.0 * batch * heads * lq * lk * (d + dv) * (causal ? 0.5 : 1);
        Action fusedCall = () => F.ScaledDotProductAttention(query, key, value, isCausal: causal).Dispose();
        Action unfusedCall = () => AttentionBaseline.Unfused(query, key, value, isCausal: causal).Dispose();
        KernelTiming.WarmUp(fusedCall);
        KernelTiming.WarmUp(unfusedCall);
        // Alternate the two so machine noise hits both alike.
        var fused = new List<(double Wall, double Cpu)>();
        var unfused = new List<(double Wall, double Cpu)>();
        for (int i = 0; i < Math.Max(runs, 1); i++)
        {
            fused.Add(KernelTiming.Time(fusedCall));
            unfused.Add(KernelTiming.Time(unfusedCall));
        }
        var (f, fc) = KernelTiming.Median(fused);
        var (u, uc) = KernelTiming.Median(unfused);
        string matmul = "";
        if (gemmBaseline && !causal)
        {
            var (g, gc) = KernelTiming.Median(() => MatMulSoftmaxMatMul(query, key, value).Dispose(), runs);
            matmul = string.Create(CultureInfo.InvariantCulture, $", F.MatMul path {g * 1e3:F2} ms (cpu {gc * 1e3:F2}, {g / f:F2}x)");
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"attention b{batch} h{heads} q{lq} k{lk} d{d} dv{dv}{(causal ? " causal" : "")}: threads {Parallelism.Threads}, fused {f * 1e3:F2} ms (cpu {fc * 1e3:F2}), unfused {u * 1e3:F2} ms (cpu {uc * 1e3:F2}), {u / f:F2}x (cpu {uc / fc:F2}x){matmul}, {flops / f / 1e9:F1} GFLOP/s");
    }

    /// <summary>softmax((Q·D^-½)·Kᵀ)·V from public ops, i.e. on the engine's general GEMM (Q is scaled, the smaller operand).</summary>
    static Tensor MatMulSoftmaxMatMul(Tensor query, Tensor key, Tensor value)
    {
        using var keyT = key.Transpose(-1, -2);
        using var scaled = F.Mul(query, 1f / MathF.Sqrt(query.Size(-1)));
        using var scores = F.MatMul(scaled, keyT);
        using var probs = F.Softmax(scores, -1);
        return F.MatMul(probs, value);
    }
}
