#!/usr/bin/env bash
# The judgement figures of docs/BENCHMARKS.md in one run: every public set hearken is measured
# on (train/validation splits only; the test splits stay held out), with the release binary
# and the model `make model` prepared. Needs ../shared/data (DATA=... to point elsewhere).
# Usage: bash scripts/eval_nlu.sh [--profile accurate] [other hearken model flags]
# Prints one line per figure and writes the JSON reports under target/eval/<profile>/.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
[ -d "$DATA/tweeteval_sentiment" ] || { echo "no data sets under $DATA (set DATA=...)" >&2; exit 2; }
BIN=target/release/hearken
cargo build --release --quiet
tag=default
prev=
for a in "$@"; do [ "$prev" = --profile ] && tag=$a; prev=$a; done
OUT=target/eval/$tag
mkdir -p "$OUT"

run() { # name, then hearken nlu evaluate arguments
  local name=$1; shift
  local started=$SECONDS
  "$BIN" nlu evaluate --json "$@" "${EXTRA[@]}" > "$OUT/$name.json"
  python3 - "$OUT/$name.json" "$name" "$((SECONDS - started))" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
keys = ("accuracy", "macro_recall", "macro_f1", "in_scope_accuracy", "oos_recall",
        "expected_calibration_error")
parts = [f"{k}={r[k]:.3f}" for k in keys if r.get(k) is not None]
for c in r["per_class"]:
    if c["label"] == "complaint":
        parts.append(f"complaint.recall={c['recall']:.3f} complaint.precision={c['precision']:.3f}")
print(f"{sys.argv[2]:<20} n={r['examples']:<6} " + " ".join(parts) + f"  ({sys.argv[3]} s)")
EOF
}

EXTRA=("$@")
heads=models
[ "$tag" = accurate ] && heads=models/accurate
# The shipped heads, as they ship (trained by `hearken nlu train-sentiment|train-complaint`).
run tweeteval_val --task sentiment --head "$heads/sentiment-head.json" --test "$DATA/tweeteval_sentiment/val.jsonl"
run airline --task sentiment --head "$heads/sentiment-head.json" --test "$DATA/airline_sentiment/train.jsonl"
run xlmt_english_val --task sentiment --head "$heads/sentiment-head.json" --test "$DATA/xlmt_sentiment/english/val.jsonl"
run complaints_shipped --task complaint --head "$heads/complaint-head.json" --test "$DATA/complaints/train.jsonl"
# What the encoder allows when a head is trained on the research set itself (5-fold CV).
run complaints_cv --task complaint --train "$DATA/complaints/train.jsonl"
# Intents: a head trained from the examples, as `hearken serve` trains the bot's.
run banking77_cv --train "$DATA/banking77/train.jsonl"
run hwu64_cv --train "$DATA/hwu64/train.jsonl"
run clinc150_val --train "$DATA/clinc150/train.jsonl" --test "$DATA/clinc150/val.jsonl"
