#!/usr/bin/env bash
# compare.sh CKPT ONNX_ROOT SITE [ROUNDS] [THREADS]: each network (prior CFG step, MoVQ 512 px decode, UNet CFG
# step 512 px) ours vs ONNX Runtime (one process, alternating runs, both checked against diffusers' output) and
# diffusers on PyTorch (network_bench.py), the two processes alternating ROUNDS times; then threads 1 vs 2 with the
# op profile. CKPT: make-checkpoint --preset kandinsky-2-1 --dtype f16; ONNX_ROOT: export_onnx.py's folders
# (unet, prior, movq); SITE: the PYTHONPATH ../shared/reference/setup.sh prints. See README.md here.
set -euo pipefail
CKPT=${1:?usage: compare.sh CKPT ONNX_ROOT SITE [ROUNDS] [THREADS]}
ONNX=${2:?usage: compare.sh CKPT ONNX_ROOT SITE [ROUNDS] [THREADS]}
SITE=${3:?usage: compare.sh CKPT ONNX_ROOT SITE [ROUNDS] [THREADS]}
ROUNDS=${4:-2}; THREADS=${5:-2}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); ROOT=$HERE/../..
dotnet build -c Release "$HERE" -v q -nologo >/dev/null
dotnet build -c Release "$ROOT/src/Kandinsky.Lab.Cli" -v q -nologo >/dev/null
NETWORKS="$HERE/bin/Release/net10.0/Kandinsky.Lab.Benchmarks.dll"
CLI="$ROOT/src/Kandinsky.Lab.Cli/bin/Release/net10.0/kandinsky-lab.dll"
declare -A SIZE=([prior]="--cfg" [movq]="--size 512" [unet]="--size 512 --cfg")
for net in prior movq unet; do
  for ((r = 1; r <= ROUNDS; r++)); do
    echo "=== $net round $r: ours vs ONNX Runtime"
    dotnet "$NETWORKS" networks "$net" --model "$CKPT" --onnx "$ONNX" --threads "$THREADS" --runs 2
    echo "=== $net round $r: diffusers"
    PYTHONPATH=$SITE /usr/bin/python3 "$HERE/pytorch/network_bench.py" "$net" --model "$CKPT" ${SIZE[$net]} --threads "$THREADS" --runs 2 2>&1 | grep -v -i warn
  done
  echo "=== $net: threads 1 vs 2, op profile"
  dotnet "$CLI" bench "$net" --model "$CKPT" ${SIZE[$net]} --threads 1 2 --runs 2 --profile
done
