#!/usr/bin/env bash
# End-to-end benchmark of docs/BENCHMARKS.md: a steady 200 messages/s of web chat traffic into
# `hearken serve` with every worker on (real model, policy, outbox), for N seconds, on SQLite and
# on PostgreSQL. Figures from the database afterwards: for each message, the time from its inbox
# commit to the first outbox action it caused (message in -> reply action in the outbox), and to
# its decision (inbox -> processed, every message, escalations included).
# Usage: scripts/bench_e2e.sh [rate, default 200] [seconds, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-200}
secs=${2:-30}
cargo build --release --quiet --bin hearken --example steady_load
work=$(mktemp -d)
port=18081
out=reports/e2e-bench.md
mkdir -p reports
echo "| store | offered msg/s | achieved | refused (503) | ack p50/p99 ms | in->action p50 ms | p99 ms | in->decided p50 ms | p99 ms | messages | with an action |" >"$out"
echo "|---|---|---|---|---|---|---|---|---|---|---|" >>"$out"

SQL="SELECT (MIN(o.created_at) - i.received_at) AS to_action, (i.processed_at - i.received_at) AS to_decided
     FROM inbox i JOIN messages m ON m.inbox_id = i.id
     LEFT JOIN outbox o ON o.idempotency_key LIKE 'msg:' || m.id || ':%'
     GROUP BY i.id, i.received_at, i.processed_at"

for store in sqlite postgres; do
  if [ "$store" = sqlite ]; then
    url="sqlite://$work/e2e.db"
  else
    db="hearken_e2e_$$"
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db"
    url="postgres://postgres@127.0.0.1:5432/$db"
  fi
  cat >"$work/hearken.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
api_token = "bench-token-0123456789abcdef"
[database]
url = "$url"
TOML
  HEARKEN_LOG=error target/release/hearken serve --config "$work/hearken.toml" 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  load=$(target/release/examples/steady_load "http://127.0.0.1:$port" "$rate" "$secs")
  # Let the pipeline finish what is queued, then stop gracefully.
  for _ in $(seq 300); do
    pending=$(curl -s -H "authorization: Bearer bench-token-0123456789abcdef" "http://127.0.0.1:$port/v1/inbox?limit=1" |
      python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print(c.get('pending',0)+c.get('processing',0))")
    [ "$pending" = 0 ] && break
    sleep 0.2
  done
  kill -TERM $pid; wait $pid || true
  if [ "$store" = sqlite ]; then
    rows=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('$work/e2e.db'); print('\n'.join(f'{\"\" if a is None else a},{b}' for a,b in c.execute(\"\"\"$SQL\"\"\")))")
  else
    rows=$(psql "$url" -AtF, -c "$SQL")
    psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  fi
  python3 - "$store" "$load" >>"$out" <<PY
import json, sys
store, load = sys.argv[1], json.loads(sys.argv[2])
rows = [r.split(",") for r in """$rows""".strip().splitlines()]
act = sorted(float(a) for a, _ in rows if a)
dec = sorted(float(b) for _, b in rows if b)
p = lambda xs, q: xs[int((len(xs) - 1) * q)] if xs else float("nan")
print(f"| {store} | {load['offered_rate']} | {load['achieved_rate']:.0f} | {load['failed']} | {load['ack_p50_ms']:.1f} / {load['ack_p99_ms']:.1f} | "
      f"{p(act, .5):.0f} | {p(act, .99):.0f} | {p(dec, .5):.0f} | {p(dec, .99):.0f} | {len(rows)} | {len(act)} |")
PY
done
rm -rf "$work"
cat "$out"
