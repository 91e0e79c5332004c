#!/usr/bin/env bash
# `make rust-bert`: creates (once) a Python venv holding PyTorch 2.4.0 from PyPI, whose bundled
# libtorch the optional `rust-bert` encoder backend (tch 0.17 / torch-sys 0.17) builds and runs
# against. The venv lives outside the clone, in ${HEARKEN_CACHE:-~/.cache/hearken}/torch-2.4.0,
# so fresh clones and CI reuse it. Safe to re-run: a finished venv is only checked, not rebuilt.
#
# stdout: `export NAME='value'` lines for a build and its test runs, meant for
#   eval "$(scripts/torch_venv.sh)"
#   LIBTORCH_USE_PYTORCH=1  torch-sys asks Python for libtorch's paths and C++ ABI;
#   VIRTUAL_ENV, PATH       torch-sys runs `python` (not `python3`) when VIRTUAL_ENV is set, so
#                           the venv's bin/ must come first on PATH (it reads no other variable);
#   LD_LIBRARY_PATH         the venv's torch/lib, needed at run time (no rpath is recorded).
# Progress goes to stderr. `--lib` prints only the torch/lib directory.
set -euo pipefail

TORCH_VERSION=2.4.0
cache=${HEARKEN_CACHE:-$HOME/.cache/hearken}
venv=$cache/torch-$TORCH_VERSION
marker=$venv/.hearken-ready # holds torch/lib; written last, so an interrupted install is redone
python=${PYTHON:-python3}

say() { printf 'torch_venv: %s\n' "$*" >&2; }

if [ ! -f "$marker" ]; then
  if ! command -v "$python" >/dev/null; then
    say "$python not found; install Python 3.8-3.12 or set PYTHON=/path/to/python3"
    exit 1
  fi
  mkdir -p "$cache"
  # One installer at a time (parallel make, CI jobs sharing the cache); the loser re-checks.
  exec 9>"$cache/.torch-$TORCH_VERSION.lock"
  flock 9
fi
if [ ! -f "$marker" ]; then
  rm -rf "$venv"
  say "creating $venv (PyTorch $TORCH_VERSION from PyPI, with its CUDA wheels: a few GB, once)"
  "$python" -m venv "$venv"
  # --no-cache-dir: pip would otherwise keep a second copy of the multi-GB wheels in ~/.cache/pip.
  "$venv/bin/python" -m pip install --quiet --no-cache-dir --only-binary=:all: "torch==$TORCH_VERSION" >&2
  lib=$("$venv/bin/python" -W ignore -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  if [ ! -f "$lib/libtorch_cpu.so" ]; then
    say "torch installed, but $lib/libtorch_cpu.so is missing"
    exit 1
  fi
  printf '%s\n' "$lib" >"$marker.tmp"
  mv "$marker.tmp" "$marker"
  say "ready: $venv"
fi

lib=$(cat "$marker")
if [ ! -f "$lib/libtorch_cpu.so" ]; then
  say "$venv is damaged ($lib/libtorch_cpu.so missing); delete it and re-run"
  exit 1
fi

if [ "${1:-}" = "--lib" ]; then
  printf '%s\n' "$lib"
  exit 0
fi

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # shell-quote one value
printf 'export LIBTORCH_USE_PYTORCH=1\n'
printf 'export VIRTUAL_ENV=%s\n' "$(q "$venv")"
printf 'export PATH=%s\n' "$(q "$venv/bin:$PATH")"
printf 'export LD_LIBRARY_PATH=%s\n' "$(q "$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")"
