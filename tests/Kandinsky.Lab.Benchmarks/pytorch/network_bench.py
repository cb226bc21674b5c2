#!/usr/bin/env python3
"""diffusers timings for `kandinsky-lab bench unet / prior / movq`: the same checkpoint folder, the same shapes.

Comparison only: the project never depends on Python. This runs the real diffusers 0.30.3 classes
(UNet2DConditionModel, PriorTransformer, VQModel) on Debian's python3-torch, float32 as the C# port computes,
from the site ../shared/reference/setup.sh builds (it prints the PYTHONPATH). All three networks run in diffusers,
so nothing here is re-implemented; the text encoders (CLIP, XLM-R/MCLIP) are not timed, because that site has no
transformers modeling code (they are not in any ratio we report).
`--golden CASE_DIR` first runs the diffusers module on a golden case (tests/fixtures/golden/unet_*, movq_decode_*,
prior_*) and prints its worst error / tolerance, so the timed module is known to compute the function ours is
tested against. Examples (2 threads, as `kandinsky-lab bench … --threads 2`):
  PYTHONPATH=$SITE /usr/bin/python3 network_bench.py unet --model CKPT --size 512 --cfg --threads 2
  PYTHONPATH=$SITE /usr/bin/python3 network_bench.py prior --model CKPT --cfg --threads 2
  PYTHONPATH=$SITE /usr/bin/python3 network_bench.py movq --model CKPT --size 512 --threads 2
Which BLAS torch runs on decides the baseline: see ../shared/reference/README.md (OpenBLAS, OPENBLAS_CORETYPE).
Run it alternately with the kandinsky-lab command in the same session (the machine is shared).
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import struct
import time

import numpy as np
import torch

NUMPY = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"


def read_safetensors(path):
    """Every tensor of a safetensors file as a float32 (or integer) torch tensor; BF16 widened bit-exactly."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            b, e = info["data_offsets"]
            f.seek(base + b)
            raw = f.read(e - b)
            if info["dtype"] == "BF16":
                arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                arr = np.frombuffer(raw, NUMPY[info["dtype"]])
            arr = arr.astype(np.float32) if arr.dtype.kind == "f" else arr.copy()
            out[name] = torch.from_numpy(arr.reshape(info["shape"]))
    return out


def find_component(model, pipeline, component):
    for d in (os.path.join(model, pipeline, component), os.path.join(model, component), model):
        if os.path.exists(os.path.join(d, "config.json")) and not os.path.exists(os.path.join(d, "model_index.json")):
            return d
    raise SystemExit(f"no {pipeline}/{component} (a folder with config.json) under {model}")


def load(kind, folder):
    """The diffusers module for kind from config.json, weights loaded strictly (a key diffusers does not expect stops the run)."""
    from diffusers import PriorTransformer, UNet2DConditionModel, VQModel
    cls = {"unet": UNet2DConditionModel, "prior": PriorTransformer, "movq": VQModel}[kind]
    model = cls.from_config(json.load(open(os.path.join(folder, "config.json")))).eval()
    weights = {}
    for f in sorted(os.listdir(folder)):
        if f.endswith(".safetensors"):
            weights.update(read_safetensors(os.path.join(folder, f)))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SystemExit(f"{folder}: keys differ from diffusers: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return model


def call(kind, model, x):
    """One forward pass as the Kandinsky pipelines call each network."""
    if kind == "unet":
        return model(x["sample"], x["timestep"], encoder_hidden_states=x["encoder_hidden_states"],
                     added_cond_kwargs={"text_embeds": x["text_embeds"], "image_embeds": x["image_embeds"]}).sample
    if kind == "prior":
        return model(x["hidden_states"], timestep=x["timestep"], proj_embedding=x["proj_embedding"],
                     encoder_hidden_states=x["encoder_hidden_states"], attention_mask=x["attention_mask"]).predicted_image_embedding
    return model.decode(x["latents"], force_not_quantize=True).sample


def check_golden(kind, case_dir):
    case = json.load(open(os.path.join(case_dir, "case.json")))
    model = load(kind, os.path.join(case_dir, "model"))
    io = read_safetensors(os.path.join(case_dir, "io.safetensors"))
    inputs = {k[3:]: v for k, v in io.items() if k.startswith("in.")}
    inputs = {k.replace("added_cond_kwargs.", ""): v for k, v in inputs.items()}
    if kind == "prior":
        inputs["timestep"] = inputs["timestep"].reshape(-1)
        mask = inputs.get("attention_mask")
        inputs["attention_mask"] = None if mask is None else mask.bool()
    name = {"unet": "out.sample", "movq": "out.sample", "prior": "out.predicted_image_embedding"}[kind]
    with torch.no_grad():
        out = call(kind, model, inputs)
    tol = case.get("tolerances", {}).get(name, {})
    atol, rtol = tol.get("atol", case["atol"]), tol.get("rtol", case["rtol"])
    ratio = ((out - io[name]).abs() / (atol + rtol * io[name].abs())).max().item()
    ok = ratio <= 1  # NaN compares false: a NaN output fails
    print(f"golden {os.path.basename(case_dir)}: {name} worst error/allowed {ratio:.4f} ({'pass' if ok else 'FAIL'})")
    if not ok:
        raise SystemExit(1)


def blas_name():
    if os.path.exists(OPENBLAS):
        f = ctypes.CDLL(OPENBLAS).openblas_get_corename
        f.restype = ctypes.c_char_p
        return f"OpenBLAS {f().decode()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})"
    return "not OpenBLAS (apt-get install libopenblas0-pthread)"


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(title, step, runs):
    print(f"{title} (threads {torch.get_num_threads()}, torch {torch.__version__}, {blas_name()})")
    walls = []
    with torch.no_grad():
        for i in range(runs + 1):
            start, cpu0 = time.perf_counter(), time.process_time()
            step()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
            if i > 0:
                walls.append(wall)
            print(f"  {'first run' if i == 0 else f'run {i}':9}: {wall:8.2f} s   cpu {cpu:8.2f} s   peak RSS {peak_rss_mib():7.0f} MiB")
    if walls:
        print(f"  runs: min {min(walls):.2f} / median {statistics.median(walls):.2f} / max {max(walls):.2f} s   peak RSS {peak_rss_mib():.0f} MiB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["unet", "prior", "movq"])
    p.add_argument("--model", help="checkpoint root, pipeline folder or component folder")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--cfg", action="store_true", help="batch 2 (unconditional + conditional), as with guidance > 1")
    p.add_argument("--tokens", type=int, default=77)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--golden", help="a golden case folder to check the diffusers module against first")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.golden:
        check_golden(a.kind, a.golden)
    if not a.model:
        return
    g = torch.Generator().manual_seed(1)
    rand = lambda *s: torch.rand(*s, generator=g) * 2 - 1
    batch = 2 if a.cfg else 1
    pipeline, component = {"unet": ("decoder", "unet"), "movq": ("decoder", "movq"), "prior": ("prior", "prior")}[a.kind]
    folder = find_component(a.model, pipeline, component)
    start = time.perf_counter()
    model = load(a.kind, folder)
    print(f"load: {time.perf_counter() - start:.2f} s, peak RSS {peak_rss_mib():.0f} MiB")
    c = model.config
    if a.kind == "unet":
        movq_cfg = os.path.join(os.path.dirname(os.path.abspath(folder)), "movq", "config.json")
        scale = 2 ** (len(json.load(open(movq_cfg))["block_out_channels"]) - 1) if os.path.exists(movq_cfg) else 8
        side = a.size // scale
        x = {"sample": rand(batch, c.in_channels, side, side), "timestep": torch.tensor([500] * batch),
             "encoder_hidden_states": rand(batch, a.tokens, c.encoder_hid_dim),
             "text_embeds": rand(batch, c.cross_attention_dim), "image_embeds": rand(batch, c.cross_attention_dim)}
        title = f"diffusers unet: {folder}, batch {batch}, latents {side}x{side} ({a.size} px)"
    elif a.kind == "movq":
        side = a.size // 2 ** (len(c.block_out_channels) - 1)
        x = {"latents": rand(1, c.vq_embed_dim or c.latent_channels, side, side)}
        title = f"diffusers movq: {folder}, decode to {a.size}x{a.size}"
    else:
        d, n = c.embedding_dim, c.num_embeddings
        x = {"hidden_states": rand(batch, d), "timestep": torch.tensor([500] * batch), "proj_embedding": rand(batch, d),
             "encoder_hidden_states": rand(batch, n, d), "attention_mask": torch.ones(batch, n, dtype=torch.bool)}
        title = f"diffusers prior: {folder}, batch {batch}"
    timed(title, lambda: call(a.kind, model, x), a.runs)


if __name__ == "__main__":
    main()
