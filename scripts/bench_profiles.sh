#!/usr/bin/env bash
# The two NLU profiles side by side (docs/BENCHMARKS.md, "Profiles"): single-message latency
# and throughput at batch 32 of the encoder (both outputs, as analysing needs), and the peak
# RSS of `hearken serve` (SQLite) while a steady web chat load runs through every worker.
# The accurate profile is measured when `make model-accurate` has prepared it.
# Usage: bash scripts/bench_profiles.sh [rate msg/s, default 40] [seconds, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-40}
secs=${2:-20}
cargo build --release --quiet --bin hearken --example encoder_bench --example steady_load
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18082
echo "| profile | model | p50 ms, 1 message | p99 ms | messages/s at batch 32 | serve peak RSS MiB | serve: msg/s offered for ${secs} s | backlog left when the load ended, drained in s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for profile in default accurate; do
  case $profile in
    default) dir=models/all-MiniLM-L6-v2 ;;
    accurate) dir=models/all-mpnet-base-v2 ;;
  esac
  [ -f "$dir/model.onnx" ] || { echo "| $profile | (not prepared: make model-$profile) | | | | | | |"; continue; }
  one=$(target/release/examples/encoder_bench --backend onnx --model-dir "$dir" --batch 1 --threads 2 --rounds 1)
  b32=$(target/release/examples/encoder_bench --backend onnx --model-dir "$dir" --batch 32 --threads 2 --rounds 1)
  cat >"$work/hearken.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
api_token = "bench-token-0123456789abcdef"
[database]
url = "sqlite://$work/$profile.db"
[nlu]
profile = "$profile"
watch = false
TOML
  HEARKEN_LOG=error target/release/hearken serve --config "$work/hearken.toml" 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  load=$(target/release/examples/steady_load "http://127.0.0.1:$port" "$rate" "$secs")
  drain_start=$(date +%s.%N)
  for _ in $(seq 1800); do
    pending=$(curl -s -H "authorization: Bearer bench-token-0123456789abcdef" "http://127.0.0.1:$port/v1/inbox?limit=1" |
      python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print(c.get('pending',0)+c.get('processing',0))")
    [ "$pending" = 0 ] && break
    sleep 0.2
  done
  drained=$(python3 -c "import time; print(f'{time.time() - $drain_start:.1f}')")
  hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  kill -TERM $pid
  wait $pid || true
  python3 - "$profile" "$dir" "$one" "$b32" "$hwm" "$load" "$drained" <<'PY'
import json, sys
profile, d, one, b32, hwm, load, drained = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]), sys.argv[7]
print(f"| {profile} | {d.split('/')[-1]} | {one['p50_ms']:.1f} | {one['p99_ms']:.1f} | {b32['sentences_per_s']:.0f} | {hwm} | {load['offered_rate']} ({load['failed']} refused) | {drained} |")
PY
done
