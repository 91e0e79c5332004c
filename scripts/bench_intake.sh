#!/usr/bin/env bash
# Webhook intake benchmark of docs/BENCHMARKS.md: acknowledged messages/s and p50/p99 latency of
# POST /v1/webchat/messages with the durable commit before the 202, on SQLite and PostgreSQL, at
# 50 and 500 connections; each measured against the same server with group commit off
# (pipeline.intake_batch = 1) in the same run. Workers are off (intake only); wrk runs on the same
# 2 cores as the server. Output: reports/intake-bench.md.
# Usage: scripts/bench_intake.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/hearken
work=$(mktemp -d)
port=18080
out=reports/intake-bench.md
mkdir -p reports
echo "| store | group commit | connections | requests/s | p50 ms | p99 ms | non-2xx | rows stored |" >"$out"
echo "|---|---|---|---|---|---|---|---|" >>"$out"

run() { # store batch connections
  local store=$1 batch=$2 conns=$3 url
  if [ "$store" = sqlite ]; then
    rm -f "$work"/bench.db*
    url="sqlite://$work/bench.db"
  else
    local db="hearken_bench_$$"
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
    url="postgres://postgres@127.0.0.1:5432/$db"
  fi
  cat >"$work/hearken.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
api_token = "bench-token-0123456789abcdef"
[database]
url = "$url"
max_connections = 8
[pipeline]
enabled = false
intake_batch = $batch
[outbox]
enabled = false
TOML
  HEARKEN_LOG=error $bin serve --config "$work/hearken.toml" 2>"$work/serve.log" &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  # Warm-up, then the measured run.
  wrk -t2 -c"$conns" -d3s -s scripts/wrk_webchat.lua "http://127.0.0.1:$port" >/dev/null
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s scripts/wrk_webchat.lua "http://127.0.0.1:$port" >"$work/wrk.txt"
  local rows
  rows=$(curl -s -H "authorization: Bearer bench-token-0123456789abcdef" "http://127.0.0.1:$port/v1/inbox?limit=1" |
    python3 -c "import json,sys; print(sum(json.load(sys.stdin)['counts'].values()))")
  kill -TERM $pid; wait $pid || true
  python3 - "$work/wrk.txt" "$store" "$batch" "$conns" "$rows" >>"$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(p):
    m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
store, batch, conns, rows = sys.argv[2:6]
gc = "on (256)" if batch != "1" else "off"
note = f" ({errors.group(1)})" if errors else ""
print(f"| {store} | {gc} | {conns} | {rps:,.0f} | {ms(50):.1f} | {ms(99):.1f} | {bad.group(1) if bad else 0}{note} | {int(rows):,} |")
PY
  if [ "$store" = postgres ]; then
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS hearken_bench_$$ WITH (FORCE)"
  fi
}

for store in sqlite postgres; do
  for conns in 50 500; do
    for batch in 256 1; do
      run "$store" "$batch" "$conns"
    done
  done
done
rm -rf "$work"
cat "$out"
