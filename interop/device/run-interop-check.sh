#!/usr/bin/env bash
# The interop tests on the lent GPU machine (no .NET there), from a self-contained publish.
#
#   interop/device/run-interop-check.sh pack [ARCHIVE]
#       here, with the SDK: publish tests/Rollout.Interop.Tests self-contained (CPU ONNX Runtime) and pack it
#       (default .publish/interop-tests.tar.gz)
#   interop/device/run-interop-check.sh pack-ort-gpu [FOLDER]
#       here: ONNX Runtime's GPU build (Microsoft.ML.OnnxRuntime.Gpu.Linux, from the NuGet cache) as
#       ort-gpu.tar.zst.part-NN files of at most 40 MiB (one per call beside the tree) (default .publish/ort-gpu), to carry over several calls
#   interop/device/run-interop-check.sh run FOLDER|ARCHIVE [ORT_GPU]
#       there: every interop test; with ORT_GPU (a folder of those parts, or of the unpacked libraries) the GPU
#       build replaces the CPU one and the CUDA 13 libraries of the machine's Python packages go on the loader path
#
# Without ORT_GPU only the driver-level checks run on the GPU (ILGPU CUDA buffers seen as ONNX Runtime tensors,
# the copy path into them, the driver shim against ILGPU's context); the test that has the CUDA provider write
# into ILGPU's buffers and the device-to-device copy skip. `run` exits non-zero when a test fails, when a GPU is visible but no test ran on
# CUDA, or when ORT_GPU was given and the CUDA-provider test did not run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/device/common.sh"
exe_name=Rollout.Interop.Tests
ort_gpu_libs=(libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so)
# The tests that need the CUDA provider: the device-to-device copy and the device-resident KV cache the engine
# uses, and the one-context binding
# (which failed on an H100 with a cuDNN stream mismatch; bench/results/interop-cuda-provider-h100-2026-11-27.md).
provider_tests="DeviceCopyTests|DeviceKvCacheTests|SharedCudaSessionTests"

pack() {
  local archive="${1:-$repo/.publish/interop-tests.tar.gz}" folder="$repo/.publish/interop-tests"
  rm -rf "$folder"
  dotnet publish "$repo/tests/Rollout.Interop.Tests" -c Release -r linux-x64 --self-contained -o "$folder" -v q -nologo
  # The ONNX Runtime package also drops its Windows native here; only Linux runs this. The shipped model comes
  # with the Models reference; these tests do not read it, and the carried tree holds it anyway.
  rm -rf "$folder/onnxruntime.dll" "$folder/arith-qwen2"
  tar -czf "$archive" -C "$folder" .
  echo "published folder: $(du -sh "$folder" | cut -f1)  archive: $archive $(du -sh "$archive" | cut -f1)"
}

pack_ort_gpu() {
  local out="${1:-$repo/.publish/ort-gpu}"
  local version; version="$(sed -n 's/.*"Microsoft.ML.OnnxRuntime.Gpu.Linux" Version="\([^"]*\)".*/\1/p' "$repo/Directory.Packages.props")"
  local natives="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.onnxruntime.gpu.linux/$version/runtimes/linux-x64/native"
  [[ -f "$natives/libonnxruntime_providers_cuda.so" ]] || { echo "no GPU build in $natives (restore engine/Rollout.Cli first)" >&2; exit 2; }
  rm -rf "$out" && mkdir -p "$out"
  tar -cf - -C "$natives" "${ort_gpu_libs[@]}" | zstd -19 -T0 -q | split -b 40M -d - "$out/ort-gpu.tar.zst.part-"
  ls -l "$out"
}

run() {
  local source="$1" ort_gpu="${2:-}"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  local folder; folder="$(unpack_app "$source" "$work")"
  local exe="$folder/$exe_name"
  [[ -x "$exe" ]] || { echo "no $exe_name executable in $source" >&2; exit 2; }

  if [[ -n "$ort_gpu" ]]; then
    local libs; libs="$(ort_gpu_folder "$ort_gpu" "$work/ort-gpu")"
    if [[ ! -w "$folder" ]]; then cp -r "$folder" "$work/app-gpu" && folder="$work/app-gpu" && exe="$folder/$exe_name"; fi
    for lib in "${ort_gpu_libs[@]}"; do cp "$libs/$lib" "$folder/"; done
    # The provider links libcudart/libcublas/libcublasLt.so.13, libcurand.so.10 and cuDNN 9: the nvidia-* pip
    # packages' lib folders, wherever python3 finds the `nvidia` namespace.
    local cuda_libs; cuda_libs="$(cuda_library_path)"
    [[ -n "$cuda_libs" ]] || echo "warning: no nvidia-* pip libraries found by python3; the CUDA provider may not load" >&2
    export LD_LIBRARY_PATH="$folder${cuda_libs:+:$cuda_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi

  local log="$work/log"
  echo "== tests =="
  local tests_rc=0
  "$exe" -noColor -noLogo 2>&1 | tee "$log" || tests_rc=$?
  local cuda_cases; cuda_cases="$("$exe" -list tests -preEnumerateTheories -noColor 2>/dev/null | grep -c 'kind: Cuda' || true)"

  echo
  echo "== summary =="
  grep -E 'Total: [0-9]+' "$log" | sed 's/^ *//' || true
  echo "theory cases on CUDA: $cuda_cases"
  echo "skipped:"; grep -E '\[SKIP\]' "$log" | sed 's/^ */  /' || echo "  none"
  if [[ "$cuda_cases" == 0 ]] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo "an NVIDIA GPU is visible but ILGPU found no CUDA device (is libcuda.so on the loader path?)" >&2
    exit 3
  fi
  if [[ -n "$ort_gpu" ]] && grep -E '\[SKIP\]' "$log" | grep -qE "$provider_tests"; then
    echo "ORT_GPU was given but a CUDA-provider test skipped (did the provider load? see the messages above)" >&2
    exit 4
  fi
  if (( tests_rc != 0 )); then exit 1; fi
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  pack-ort-gpu) shift; pack_ort_gpu "$@" ;;
  run) shift; [[ $# -ge 1 ]] || { echo "usage: $0 run FOLDER|ARCHIVE [ORT_GPU]" >&2; exit 2; }; run "$@" ;;
  *) echo "usage: $0 pack [ARCHIVE] | pack-ort-gpu [FOLDER] | run FOLDER|ARCHIVE [ORT_GPU]" >&2; exit 2 ;;
esac
