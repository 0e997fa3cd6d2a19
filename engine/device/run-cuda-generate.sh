#!/usr/bin/env bash
# `rollout generate --l2t` on the lent GPU machine with ONNX Runtime's CUDA provider, against the same run on its CPU.
#
# Here (with the SDK):
#   dotnet publish engine/Rollout.Cli -c Release -r linux-x64 --self-contained -o .publish/cli
#   remove .publish/cli/libonnxruntime*.so (they come separately), tar -czf .publish/cli.tar.gz -C .publish/cli .
#   ONNX Runtime's GPU libraries as zstd parts: interop/device/run-interop-check.sh pack-ort-gpu, re-split to fit a call
# There (parts staged in PARTS_DIR by earlier calls; zstd carried in .publish/tools when the machine has none):
#   engine/device/run-cuda-generate.sh PARTS_DIR .publish/cli.tar.gz
set -euo pipefail
parts="$1" archive="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../../device/common.sh"
export PATH="$PWD/.publish/tools:$PATH"
cli="$(unpack_app "$archive" "$work")"
cp "$(ort_gpu_folder "$parts" "$work/ort")"/libonnxruntime*.so "$cli/"
cp -r models/arith-qwen2 "$cli/"
cuda_libs="$(cuda_library_path)"
export LD_LIBRARY_PATH="$cli${cuda_libs:+:$cuda_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out="${OUT:-$work}"
head -64 models/arith-qwen2/test.jsonl > "$work/prompts.jsonl"
for device in cpu cuda; do
  echo "== $device =="
  "$cli/rollout" generate --model models/arith-qwen2 --prompts "$work/prompts.jsonl" --out "$out/$device.jsonl" \
    --n 8 --temperature 1.0 --seed 1 --max-new-tokens 160 --batch-size 64 --l2t --device "$device"
done
python3 - "$out/cpu.jsonl" "$out/cuda.jsonl" <<'PY'
import json, sys
cpu = [json.loads(l) for l in open(sys.argv[1])]
gpu = [json.loads(l) for l in open(sys.argv[2])]
same = [a["token_ids"] == b["token_ids"] for a, b in zip(cpu, gpu)]
print(f"rollouts: {len(cpu)}; identical token ids on CPU and CUDA: {sum(same)}")
diffs = [abs(x - y) for a, b, s in zip(cpu, gpu, same) if s for x, y in zip(a["logprobs"], b["logprobs"])]
adv = [abs(x - y) for a, b, s in zip(cpu, gpu, same) if s for x, y in zip(a["advantages"], b["advantages"])]
probes = [abs(x - y) for a, b, s in zip(cpu, gpu, same) if s and a["answer_probes"] for x, y in zip(a["answer_probes"], b["answer_probes"])]
print(f"max |Δ logprob| {max(diffs):.2e}, max |Δ answer probe| {max(probes):.2e}, max |Δ advantage| {max(adv):.2e} over identical rollouts")
for name, rows in (("cpu", cpu), ("cuda", gpu)):
    print(f"{name}: outcome reward mean {sum(r['outcome_reward'] for r in rows) / len(rows):.3f}")
PY
