#!/usr/bin/env python3
"""PyTorch CPU reference timings for `kandinsky-lab bench conv2d` / `bench attention`, same line format.

Comparison only: the project never depends on Python. Debian: apt-get install -y python3-torch, then e.g.
  /usr/bin/python3 conv_attention_bench.py conv2d --n 2 --c 768 --h 32 --w 32 --threads 2
  /usr/bin/python3 conv_attention_bench.py attention --q 4096 --k 87 --d 64 --heads 6 --threads 2
Run it alternately with the kandinsky-lab command in the same session (the machine is shared).
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def median_seconds(body, runs):
    """Medians of wall and process CPU time after one warm-up call (CPU time: the machine may be shared)."""
    body()
    wall, cpu = [], []
    for _ in range(max(runs, 1)):
        start, start_cpu = time.perf_counter(), time.process_time()
        body()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]


def conv2d(a):
    k, o = a.k, a.o or a.c
    padding = a.k // 2 if a.padding is None else a.padding
    g = torch.Generator().manual_seed(1)
    x = torch.rand(a.n, a.c, a.h, a.w, generator=g) * 2 - 1
    w = torch.rand(o, a.c, k, k, generator=g) * 2 - 1
    b = torch.rand(o, generator=g) * 2 - 1
    oh = (a.h + 2 * padding - k) // a.stride + 1
    ow = (a.w + 2 * padding - k) // a.stride + 1
    flops = 2.0 * a.n * o * oh * ow * a.c * k * k
    with torch.no_grad():
        s, cpu = median_seconds(lambda: F.conv2d(x, w, b, a.stride, padding), a.runs)
    print(f"torch conv2d {a.n}x{a.c}x{a.h}x{a.w} k{k} s{a.stride} p{padding} -> {o}: "
          f"threads {torch.get_num_threads()}, median {s * 1e3:.2f} ms (cpu {cpu * 1e3:.2f} ms) of {a.runs}, {flops / s / 1e9:.1f} GFLOP/s")


def attention(a):
    dv = a.dv or a.d
    g = torch.Generator().manual_seed(1)
    q = torch.rand(a.batch, a.heads, a.q, a.d, generator=g) * 2 - 1
    k = torch.rand(a.batch, a.heads, a.k, a.d, generator=g) * 2 - 1
    v = torch.rand(a.batch, a.heads, a.k, dv, generator=g) * 2 - 1
    scale = a.d ** -0.5
    flops = 2.0 * a.batch * a.heads * a.q * a.k * (a.d + dv)

    def unfused():
        return torch.softmax((q @ k.transpose(-1, -2)) * scale, dim=-1) @ v

    with torch.no_grad():
        u, uc = median_seconds(unfused, a.runs)
        fused = getattr(F, "scaled_dot_product_attention", None)
        f, fc = median_seconds(lambda: fused(q, k, v), a.runs) if fused else (float("nan"), float("nan"))
    label = f"fused {f * 1e3:.2f} ms (cpu {fc * 1e3:.2f}), " if fused else "fused n/a (torch < 2.0), "
    print(f"torch attention b{a.batch} h{a.heads} q{a.q} k{a.k} d{a.d} dv{dv}: threads {torch.get_num_threads()}, "
          f"{label}unfused {u * 1e3:.2f} ms (cpu {uc * 1e3:.2f}), {flops / (f if fused else u) / 1e9:.1f} GFLOP/s")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="op", required=True)
    c = sub.add_parser("conv2d")
    c.add_argument("--n", type=int, default=1)
    c.add_argument("--c", type=int, required=True)
    c.add_argument("--h", type=int, required=True)
    c.add_argument("--w", type=int, required=True)
    c.add_argument("--o", type=int)
    c.add_argument("--k", type=int, default=3)
    c.add_argument("--stride", type=int, default=1)
    c.add_argument("--padding", type=int)
    t = sub.add_parser("attention")
    t.add_argument("--q", type=int, required=True)
    t.add_argument("--k", type=int, required=True)
    t.add_argument("--d", type=int, required=True)
    t.add_argument("--dv", type=int)
    t.add_argument("--heads", type=int, default=1)
    t.add_argument("--batch", type=int, default=1)
    for s in (c, t):
        s.add_argument("--runs", type=int, default=7)
        s.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    conv2d(a) if a.op == "conv2d" else attention(a)


if __name__ == "__main__":
    main()
