#!/usr/bin/env bash
# The encoder benchmark of docs/BENCHMARKS.md, every backend in one run on this machine:
# hearken's ONNX backend (int8 graph and float graph), the rust-bert backend when built
# (`make rust-bert`), and Python sentence-transformers (scripts/bench_python.sh, own venv).
# Same model, same 512 sentences (tests/fixtures/bench_sentences.txt), 2 threads.
# Output: one JSON line per (backend, batch) in reports/encoder-bench.jsonl and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
out=reports/encoder-bench.jsonl
: >"$out"
batches=(1 8 32 64)
rounds=${ROUNDS:-3}

cargo build --release --quiet --example encoder_bench
for file in model.onnx model_fp32.onnx; do
  for b in "${batches[@]}"; do
    ./target/release/examples/encoder_bench --backend onnx --onnx-model-file "$file" --batch "$b" --threads 2 --rounds "$rounds" |
      python3 -c "import json,sys; d=json.loads(sys.stdin.read()); d['backend']+=':$file'; print(json.dumps(d))" >>"$out"
  done
done

if [ "${WITH_RUST_BERT:-1}" = 1 ]; then
  eval "$(scripts/torch_venv.sh)"
  CARGO_TARGET_DIR=target/rust-bert cargo build --release --quiet --features rust-bert --example encoder_bench
  for b in "${batches[@]}"; do
    RAYON_NUM_THREADS=1 target/rust-bert/release/examples/encoder_bench --backend rust-bert --batch "$b" --threads 2 --rounds "$rounds" >>"$out"
  done
fi

if [ "${WITH_PYTHON:-1}" = 1 ]; then
  scripts/bench_python.sh --json reports/python-bench.json >&2
  python3 - reports/python-bench.json >>"$out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for b, v in d["batches"].items():
    row = {"backend": "python-sentence-transformers", "batch": int(b), "sentences_per_s": v["sentences_per_s"]}
    if b == "1":
        row.update(p50_ms=d["latency_ms"]["p50"], p99_ms=d["latency_ms"]["p99"])
    print(json.dumps(row))
PY
fi

python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| backend | batch | sentences/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|---:|")
for r in rows:
    p50 = f"{r['p50_ms']:.2f}" if r.get("p50_ms") is not None else ""
    p99 = f"{r['p99_ms']:.2f}" if r.get("p99_ms") is not None else ""
    print(f"| {r['backend']} | {r['batch']} | {r['sentences_per_s']:.0f} | {p50} | {p99} |")
PY
