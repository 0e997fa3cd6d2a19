# Shared by the scripts that run on the lent GPU machine (no .NET there; self-contained publishes travel as archives).
# Source it; it defines functions only.

# unpack_app SOURCE WORK: a published folder as is, or a .tar.gz of one unpacked under WORK; prints the folder.
unpack_app() {
  local source="$1" work="$2"
  if [[ -f "$source" ]]; then
    mkdir -p "$work/app"
    tar -xzf "$source" -C "$work/app"
    echo "$work/app"
  else
    echo "$source"
  fi
}

# ort_gpu_folder SOURCE INTO: ONNX Runtime's GPU libraries, from a folder holding them or holding the zstd parts
# (*part-*, in name order) made here; prints the folder that has them.
ort_gpu_folder() {
  local source="$1" into="$2"
  if [[ -f "$source/libonnxruntime_providers_cuda.so" ]]; then echo "$source"; return; fi
  compgen -G "$source/*part-*" >/dev/null || { echo "no ONNX Runtime GPU libraries or parts in $source" >&2; exit 2; }
  mkdir -p "$into"
  cat "$source"/*part-* | zstd -d -q | tar -xf - -C "$into"
  find "$into" -name 'libonnxruntime_providers_cuda.so' -printf '%h\n' | head -1
}

# cuda_library_path: the lib folders of the machine's nvidia-* Python packages (CUDA 13, cuDNN 9), colon-separated.
cuda_library_path() {
  python3 -c '
import glob, importlib.util, os
spec = importlib.util.find_spec("nvidia")
roots = spec.submodule_search_locations if spec else []
print(":".join(sorted({d for r in roots for d in glob.glob(os.path.join(r, "**", "lib"), recursive=True)})))' 2>/dev/null || true
}
