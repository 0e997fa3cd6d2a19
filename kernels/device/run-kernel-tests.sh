#!/usr/bin/env bash
# The kernel tests and timings on a machine without .NET (the lent GPU machine), from a self-contained publish.
#
#   kernels/device/run-kernel-tests.sh pack [ARCHIVE]     here, with the SDK: publish tests/Rollout.Kernels.Tests
#                                                         self-contained and pack it (default .publish/kernel-tests.tar.gz)
#   kernels/device/run-kernel-tests.sh run FOLDER|ARCHIVE [BENCH OPTIONS]
#                                                         there: every test on every accelerator (CUDA when present),
#                                                         then the timing table (bench options: --managed, --cpu, --small, --typical, --no-svd)
#
# The published folder is ~90 MB (the .NET runtime), over one device call's 64 MiB; the gzip archive is ~38 MB.
# `run` exits non-zero when a test fails, or when an NVIDIA GPU is visible but no test ran on CUDA.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$repo/device/common.sh"
exe_name=Rollout.Kernels.Tests

pack() {
  local archive="${1:-$repo/.publish/kernel-tests.tar.gz}" folder="$repo/.publish/kernel-tests"
  rm -rf "$folder"
  dotnet publish "$repo/tests/Rollout.Kernels.Tests" -c Release -r linux-x64 --self-contained -o "$folder" -v q -nologo
  tar -czf "$archive" -C "$folder" .
  echo "published folder: $(du -sh "$folder" | cut -f1)  archive: $archive $(du -sh "$archive" | cut -f1)"
}

run() {
  local source="$1"; shift
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  local folder; folder="$(unpack_app "$source" "$work")"
  local exe="$folder/$exe_name"
  [[ -x "$exe" ]] || { echo "no $exe_name executable in $source" >&2; exit 2; }

  local log="$work/log"
  echo "== tests =="
  local tests_rc=0
  "$exe" -noColor -noLogo 2>&1 | tee "$log" || tests_rc=$?
  local cuda_cases; cuda_cases="$("$exe" -list tests -preEnumerateTheories -noColor 2>/dev/null | grep -c 'kind: Cuda' || true)"

  echo "== timings =="
  local bench_rc=0
  "$exe" bench "$@" 2>&1 | tee -a "$log" || bench_rc=$?

  echo
  echo "== summary =="
  grep -E 'Total: [0-9]+' "$log" | sed 's/^ *//' || true
  echo "test cases on CUDA: $cuda_cases"
  sed -n '/^kernel  /,$p' "$log"
  if [[ "$cuda_cases" == 0 ]] && command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    echo "an NVIDIA GPU is visible but ILGPU found no CUDA device (is libcuda.so on the loader path?)" >&2
    exit 3
  fi
  if (( tests_rc != 0 || bench_rc != 0 )); then exit 1; fi
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; [[ $# -ge 1 ]] || { echo "usage: $0 run FOLDER|ARCHIVE [bench options]" >&2; exit 2; }; run "$@" ;;
  *) echo "usage: $0 pack [ARCHIVE] | run FOLDER|ARCHIVE [bench options]" >&2; exit 2 ;;
esac
