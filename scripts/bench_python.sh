#!/usr/bin/env bash
# Python baseline for the encoder benchmark: sentence-transformers on torch (CPU, 2 threads), same model
# files and sentences as `cargo bench`. Usage: scripts/bench_python.sh [--json FILE] [--reference OUT]
# The venv (~5 GB: PyPI's torch pulls the CUDA wheels) lives outside the clone and is reused; it is
# rebuilt only when scripts/bench-requirements.txt (hash-locked) changes or a previous install died.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${HEARKEN_CACHE:-$HOME/.cache/hearken}
venv=$cache/st-bench-venv
req=$root/scripts/bench-requirements.txt
model=$root/models/all-MiniLM-L6-v2

say() { printf 'bench_python: %s\n' "$*" >&2; }

# The stamp is written last, so an interrupted install is redone instead of half-used.
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ "$(cat "$venv/.hearken-requirements-sha256" 2>/dev/null)" != "$want" ]; then
  # One installer at a time (two benches started together); the loser re-checks after the wait.
  mkdir -p "$cache"
  exec 9>"$cache/.st-bench-venv.lock"
  flock 9
fi
if [ "$(cat "$venv/.hearken-requirements-sha256" 2>/dev/null)" != "$want" ]; then
  say "creating $venv (torch 2.4.0 + sentence-transformers; several GB, takes a few minutes)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # --no-cache-dir: don't keep a second multi-GB copy of the wheels in pip's cache.
  "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check \
    --require-hashes --only-binary=:all: -r "$req"
  echo "$want" >"$venv/.hearken-requirements-sha256"
fi
exec 9>&- # release the install lock (if taken) before the long run

# The float weights come from `make model`; fetch them the same way if this clone has none yet.
if [ ! -f "$model/model.safetensors" ]; then
  say "no $model/model.safetensors: running scripts/fetch_model.sh"
  "$root/scripts/fetch_model.sh"
fi

# Never touch the network from Python: everything is local.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
exec "$venv/bin/python" "$root/scripts/bench_python.py" --model "$model" "$@"
