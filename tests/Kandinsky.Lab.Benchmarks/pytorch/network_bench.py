#!/usr/bin/env python3
"""PyTorch CPU reference timings for `kandinsky-lab bench unet / prior / movq`, same checkpoint folder, same shapes.

Comparison only: the project never depends on Python. diffusers is not installable here, so this file is a
compact pure-PyTorch re-implementation of the three networks at their diffusers semantics, built from the same
config.json and loading the same safetensors (F32/F16/BF16 upcast to float32, as the C# port computes):
  UNet2DConditionModel (Kandinsky 2.1 subset), VQModel decoder (MoVQ, SpatialNorm), PriorTransformer.
`--golden CASE_DIR` first runs the module on a golden case (tests/fixtures/golden/unet_*, movq_decode_*, prior_*)
and prints its worst error / tolerance, so the timed code is known to compute the same function.
Debian: apt-get install -y python3-torch, then e.g.
  /usr/bin/python3 network_bench.py unet --model CKPT --size 512 --cfg --threads 2
  /usr/bin/python3 network_bench.py prior --model CKPT --cfg --threads 2
  /usr/bin/python3 network_bench.py movq --model CKPT --size 512 --threads 2
Run it alternately with the kandinsky-lab command in the same session (the machine is shared).
"""
import argparse
import json
import math
import os
import resource
import struct
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def load_safetensors(path):
    out = {}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            f.seek(8 + n + b)
            t = torch.frombuffer(bytearray(f.read(e - b)), dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
            out[name] = t.float() if t.is_floating_point() else t  # one tensor at a time: peak = the float32 weights
    return out


def find_component(model, pipeline, component):
    for d in (os.path.join(model, pipeline, component), os.path.join(model, component), model):
        if os.path.exists(os.path.join(d, "config.json")) and not os.path.exists(os.path.join(d, "model_index.json")):
            return d
    raise SystemExit(f"no {pipeline}/{component} under {model}")


def load_component(folder):
    config = json.load(open(os.path.join(folder, "config.json")))
    weights = load_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    return config, weights


class W:
    """Weight lookup by checkpoint prefix (the C# WeightCursor's Push)."""

    def __init__(self, weights, prefix=""):
        self.w, self.p = weights, prefix

    def __call__(self, name):
        return self.w[self.p + name]

    def push(self, name):
        return W(self.w, f"{self.p}{name}.")

    def has(self, name):
        return self.p + name in self.w


def linear(w, x):
    return F.linear(x, w("weight"), w("bias") if w.has("bias") else None)


def conv(w, x, stride=1, padding=None):
    k = w("weight").shape[-1]
    return F.conv2d(x, w("weight"), w("bias"), stride, k // 2 if padding is None else padding)


def group_norm(w, x, groups, eps):
    return F.group_norm(x, groups, w("weight"), w("bias"), eps)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # flip_sin_to_cos


# ---- UNet2DConditionModel (Kandinsky 2.1) ------------------------------------------------------------------


def unet_resnet(w, x, emb_act, groups, eps, sample=None):
    h = F.silu(group_norm(w.push("norm1"), x, groups, eps))
    if sample == "down":
        h, x = F.avg_pool2d(h, 2, 2), F.avg_pool2d(x, 2, 2)
    elif sample == "up":
        h, x = F.interpolate(h, scale_factor=2.0, mode="nearest"), F.interpolate(x, scale_factor=2.0, mode="nearest")
    h = conv(w.push("conv1"), h)
    scale, shift = linear(w.push("time_emb_proj"), emb_act)[:, :, None, None].chunk(2, dim=1)
    h = group_norm(w.push("norm2"), h, groups, eps) * (1 + scale) + shift
    h = conv(w.push("conv2"), F.silu(h))
    if w.has("conv_shortcut.weight"):
        x = conv(w.push("conv_shortcut"), x)
    return x + h


def added_kv_attention(w, x, context, head_dim, groups):
    b, c, hh, ww = x.shape
    tokens = group_norm(w.push("group_norm"), x, groups, 1e-5).reshape(b, c, -1).transpose(1, 2)
    q = linear(w.push("to_q"), tokens)
    k = torch.cat([linear(w.push("add_k_proj"), context), linear(w.push("to_k"), tokens)], dim=1)
    v = torch.cat([linear(w.push("add_v_proj"), context), linear(w.push("to_v"), tokens)], dim=1)
    heads = c // head_dim
    split = lambda t: t.reshape(b, -1, heads, head_dim).transpose(1, 2)
    o = F.scaled_dot_product_attention(split(q), split(k), split(v)) if hasattr(F, "scaled_dot_product_attention") \
        else torch.softmax(split(q) @ split(k).transpose(-1, -2) * head_dim ** -0.5, dim=-1) @ split(v)
    o = linear(w.push("to_out.0"), o.transpose(1, 2).reshape(b, -1, c))
    return o.transpose(1, 2).reshape(b, c, hh, ww) + x


def unet_forward(cfg, weights, sample, timesteps, ehs, text_embeds, image_embeds, trace=None):
    w = W(weights)
    groups, eps = cfg["norm_num_groups"], cfg["norm_eps"]
    boc, levels, lpb = cfg["block_out_channels"], len(cfg["block_out_channels"]), cfg["layers_per_block"]
    hd = cfg["attention_head_dim"]
    head_dims = hd if isinstance(hd, list) else [hd] * levels
    rec = trace if trace is not None else {}
    t_emb = timestep_embedding(timesteps.expand(sample.shape[0]), boc[0])
    emb = linear(w.push("time_embedding.linear_2"), F.silu(linear(w.push("time_embedding.linear_1"), t_emb)))
    ae = w.push("add_embedding")
    aug = F.layer_norm(linear(ae.push("text_proj"), text_embeds), (emb.shape[-1],), ae("text_norm.weight"), ae("text_norm.bias"), 1e-5)
    emb_act = F.silu(emb + aug + linear(ae.push("image_proj"), image_embeds))
    hp = w.push("encoder_hid_proj")
    d = cfg["cross_attention_dim"]
    context = torch.cat([linear(hp.push("image_embeds"), image_embeds).reshape(sample.shape[0], 10, d), linear(hp.push("text_proj"), ehs)], dim=1)
    h = conv(w.push("conv_in"), sample)
    skips = [h]
    for i, kind in enumerate(cfg["down_block_types"]):
        bw = w.push(f"down_blocks.{i}")
        for j in range(lpb):
            h = unet_resnet(bw.push(f"resnets.{j}"), h, emb_act, groups, eps)
            if kind == "SimpleCrossAttnDownBlock2D":
                h = added_kv_attention(bw.push(f"attentions.{j}"), h, context, head_dims[i], groups)
            skips.append(h)
        if i < levels - 1:
            h = unet_resnet(bw.push("downsamplers.0"), h, emb_act, groups, eps, "down")
            skips.append(h)
        rec[f"down_blocks.{i}"] = h
    mw = w.push("mid_block")
    h = unet_resnet(mw.push("resnets.0"), h, emb_act, groups, eps)
    h = added_kv_attention(mw.push("attentions.0"), h, context, head_dims[-1], groups)
    h = unet_resnet(mw.push("resnets.1"), h, emb_act, groups, eps)
    rec["mid_block"] = h
    for i, kind in enumerate(cfg["up_block_types"]):
        bw = w.push(f"up_blocks.{i}")
        for j in range(lpb + 1):
            h = unet_resnet(bw.push(f"resnets.{j}"), torch.cat([h, skips.pop()], dim=1), emb_act, groups, eps)
            if kind == "SimpleCrossAttnUpBlock2D":
                h = added_kv_attention(bw.push(f"attentions.{j}"), h, context, head_dims[levels - 1 - i], groups)
        if i < levels - 1:
            h = unet_resnet(bw.push("upsamplers.0"), h, emb_act, groups, eps, "up")
        rec[f"up_blocks.{i}"] = h
    h = F.silu(group_norm(w.push("conv_norm_out"), h, groups, eps))
    return conv(w.push("conv_out"), h)


# ---- VQModel decoder (MoVQ) ----------------------------------------------------------------------------------


def spatial_norm(w, f, zq):
    zq = F.interpolate(zq, size=f.shape[-2:], mode="nearest")
    return group_norm(w.push("norm_layer"), f, 32, 1e-6) * conv(w.push("conv_y"), zq) + conv(w.push("conv_b"), zq)


def movq_resnet(w, x, zq):
    h = conv(w.push("conv1"), F.silu(spatial_norm(w.push("norm1"), x, zq)))
    h = conv(w.push("conv2"), F.silu(spatial_norm(w.push("norm2"), h, zq)))
    return (conv(w.push("conv_shortcut"), x) if w.has("conv_shortcut.weight") else x) + h


def movq_attention(w, x, zq):
    b, c, hh, ww = x.shape
    t = spatial_norm(w.push("spatial_norm"), x, zq).reshape(b, c, -1).transpose(1, 2)
    q, k, v = (linear(w.push(n), t)[:, None] for n in ("to_q", "to_k", "to_v"))
    o = F.scaled_dot_product_attention(q, k, v) if hasattr(F, "scaled_dot_product_attention") \
        else torch.softmax(q @ k.transpose(-1, -2) * c ** -0.5, dim=-1) @ v
    return linear(w.push("to_out.0"), o[:, 0]).transpose(1, 2).reshape(b, c, hh, ww) + x


def movq_decode(cfg, weights, latents):
    w = W(weights)
    d = w.push("decoder")
    h = conv(w.push("post_quant_conv"), latents)
    h = conv(d.push("conv_in"), h)
    m = d.push("mid_block")
    h = movq_resnet(m.push("resnets.0"), h, latents)
    if cfg.get("mid_block_add_attention", True):
        h = movq_attention(m.push("attentions.0"), h, latents)
    h = movq_resnet(m.push("resnets.1"), h, latents)
    levels = len(cfg["block_out_channels"])
    for i, kind in enumerate(cfg["up_block_types"]):
        bw = d.push(f"up_blocks.{i}")
        for j in range(cfg["layers_per_block"] + 1):
            h = movq_resnet(bw.push(f"resnets.{j}"), h, latents)
            if kind == "AttnUpDecoderBlock2D":
                h = movq_attention(bw.push(f"attentions.{j}"), h, latents)
        if i < levels - 1:
            h = conv(bw.push("upsamplers.0.conv"), F.interpolate(h, scale_factor=2.0, mode="nearest"))
    h = F.silu(spatial_norm(d.push("conv_norm_out"), h, latents))
    return conv(d.push("conv_out"), h)


# ---- PriorTransformer ----------------------------------------------------------------------------------------


def prior_forward(cfg, weights, hidden, timesteps, proj, ehs, mask):
    w = W(weights)
    heads, hd = cfg["num_attention_heads"], cfg["attention_head_dim"]
    inner = heads * hd
    b = hidden.shape[0]
    t = timestep_embedding(timesteps.expand(b), inner)
    t = linear(w.push("time_embedding.linear_2"), F.silu(linear(w.push("time_embedding.linear_1"), t)))
    x = torch.cat([linear(w.push("encoder_hidden_states_proj"), ehs), linear(w.push("embedding_proj"), proj)[:, None], t[:, None],
                   linear(w.push("proj_in"), hidden)[:, None], w("prd_embedding").expand(b, -1, -1)], dim=1) + w("positional_embedding")
    n = x.shape[1]
    add = 0.0  # without a mask the reference applies none, not even the causal one
    if mask is not None:
        add = torch.cat([(1 - mask.float()) * -10000.0, torch.zeros(b, n - mask.shape[1])], dim=1)[:, None, None, :]
        add = add + torch.triu(torch.full((n, n), -10000.0), 1)
    for i in range(cfg["num_layers"]):
        bw = w.push(f"transformer_blocks.{i}")
        y = F.layer_norm(x, (inner,), bw("norm1.weight"), bw("norm1.bias"), 1e-5)
        split = lambda z: z.reshape(b, n, heads, hd).transpose(1, 2)
        q, k, v = (split(linear(bw.push(f"attn1.{p}"), y)) for p in ("to_q", "to_k", "to_v"))
        a = torch.softmax(q @ k.transpose(-1, -2) * hd ** -0.5 + add, dim=-1) @ v
        x = x + linear(bw.push("attn1.to_out.0"), a.transpose(1, 2).reshape(b, n, inner))
        y = F.layer_norm(x, (inner,), bw("norm3.weight"), bw("norm3.bias"), 1e-5)
        x = x + linear(bw.push("ff.net.2"), F.gelu(linear(bw.push("ff.net.0.proj"), y)))
    x = F.layer_norm(x, (inner,), w("norm_out.weight"), w("norm_out.bias"), 1e-5)
    return linear(w.push("proj_to_clip_embeddings"), x[:, -1])


# ---- golden check and timing ---------------------------------------------------------------------------------


def check_golden(kind, case_dir):
    case = json.load(open(os.path.join(case_dir, "case.json")))
    cfg, weights = load_component(os.path.join(case_dir, "model"))
    io = load_safetensors(os.path.join(case_dir, "io.safetensors"))
    with torch.no_grad():
        if kind == "unet":
            out = unet_forward(cfg, weights, io["in.sample"], io["in.timestep"], io["in.encoder_hidden_states"],
                               io["in.added_cond_kwargs.text_embeds"], io["in.added_cond_kwargs.image_embeds"])
            name = "out.sample"
        elif kind == "movq":
            out, name = movq_decode(cfg, weights, io["in.latents"]), "out.sample"
        else:
            mask = io.get("in.attention_mask")
            out = prior_forward(cfg, weights, io["in.hidden_states"], io["in.timestep"].reshape(-1), io["in.proj_embedding"],
                                io["in.encoder_hidden_states"], mask)
            name = "out.predicted_image_embedding"
    tol = case.get("tolerances", {}).get(name, {})
    atol, rtol = tol.get("atol", case["atol"]), tol.get("rtol", case["rtol"])
    ratio = ((out - io[name]).abs() / (atol + rtol * io[name].abs())).max().item()
    print(f"golden {os.path.basename(case_dir)}: {name} worst error/allowed {ratio:.4f} ({'pass' if ratio <= 1 else 'FAIL'})")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(title, step, runs):
    print(title, f"(threads {torch.get_num_threads()})")
    with torch.no_grad():
        for i in range(runs + 1):
            start, cpu0 = time.perf_counter(), time.process_time()
            step()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
            print(f"  {'first run' if i == 0 else f'run {i}':9}: {wall:8.2f} s   cpu {cpu:8.2f} s   peak RSS {peak_rss_mib():7.0f} MiB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["unet", "prior", "movq"])
    p.add_argument("--model", help="checkpoint root, pipeline folder or component folder")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--cfg", action="store_true")
    p.add_argument("--tokens", type=int, default=77)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--golden", help="a golden case folder to check the re-implementation against first")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.golden:
        check_golden(a.kind, a.golden)
    if not a.model:
        return
    g = torch.Generator().manual_seed(1)
    rand = lambda *s: torch.rand(*s, generator=g) * 2 - 1
    batch = 2 if a.cfg else 1
    if a.kind == "unet":
        folder = find_component(a.model, "decoder", "unet")
        start = time.perf_counter()
        cfg, weights = load_component(folder)
        print(f"load: {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mib():.0f} MiB")
        movq_cfg = os.path.join(os.path.dirname(os.path.abspath(folder)), "movq", "config.json")
        scale = 2 ** (len(json.load(open(movq_cfg))["block_out_channels"]) - 1) if os.path.exists(movq_cfg) else 8
        side = a.size // scale
        args = (rand(batch, cfg["in_channels"], side, side), torch.tensor([500]), rand(batch, a.tokens, cfg["encoder_hid_dim"]),
                rand(batch, cfg["cross_attention_dim"]), rand(batch, cfg["cross_attention_dim"]))
        timed(f"torch unet: {folder}, batch {batch}, latents {side}x{side}", lambda: unet_forward(cfg, weights, *args), a.runs)
    elif a.kind == "movq":
        folder = find_component(a.model, "decoder", "movq")
        cfg, weights = load_component(folder)
        side = a.size // 2 ** (len(cfg["block_out_channels"]) - 1)
        latents = rand(1, cfg.get("vq_embed_dim") or cfg["latent_channels"], side, side)
        timed(f"torch movq: {folder}, decode to {a.size}x{a.size}", lambda: movq_decode(cfg, weights, latents), a.runs)
    else:
        folder = find_component(a.model, "prior", "prior")
        cfg, weights = load_component(folder)
        d, n = cfg["embedding_dim"], cfg["num_embeddings"]
        args = (rand(batch, d), torch.tensor([500]), rand(batch, d), rand(batch, n, d), torch.ones(batch, n))
        timed(f"torch prior: {folder}, batch {batch}", lambda: prior_forward(cfg, weights, *args), a.runs)


if __name__ == "__main__":
    main()
