#!/usr/bin/env python3
"""sentence-transformers baseline: throughput, batch-1 latency, and the float reference fixture.

Run through scripts/bench_python.sh (it owns the pinned venv and sets HF_HUB_OFFLINE=1).
    bench_python.sh [--json FILE]          throughput at batch 1/8/32/64 + latency p50/p99 (2 threads)
    bench_python.sh --reference OUT        float32 reference vectors (tests/fixtures/reference_embeddings.json)
"""
import argparse
import ast
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer, models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCHES = [1, 8, 32, 64]
THREADS = 2


def load_model(model_dir):
    # The local dir has no modules.json, and SentenceTransformer(dir) would then silently build
    # Transformer+Pooling without Normalize; so build the published pipeline explicitly.
    pool_cfg = json.load(open(os.path.join(model_dir, "1_Pooling", "config.json")))
    assert pool_cfg["pooling_mode_mean_tokens"], "expected a mean-pooling model"
    word = models.Transformer(model_dir, max_seq_length=256)
    pool = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    return SentenceTransformer(modules=[word, pool, models.Normalize()], device="cpu")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def fixed_sentences():
    # SENTENCES lives in scripts/prepare_model.py, which imports onnx; read the literal instead.
    tree = ast.parse(open(os.path.join(ROOT, "scripts", "prepare_model.py"), encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "SENTENCES":
            return ast.literal_eval(node.value)
    raise SystemExit("SENTENCES not found in scripts/prepare_model.py")


def write_reference(model, out, bench_path):
    sentences = fixed_sentences() + read_lines(bench_path)[:16]
    # One sentence per call: no padding partners, so each vector depends on its sentence alone.
    vecs = model.encode(sentences, batch_size=1, convert_to_numpy=True, show_progress_bar=False)
    assert vecs.dtype == np.float32 and vecs.shape == (len(sentences), 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    head = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "produced_by": "scripts/bench_python.py --reference tests/fixtures/reference_embeddings.json"
        " (via scripts/bench_python.sh; mean pooling, L2-normalised, max_seq_length 256, batch 1)",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    # Hand-laid JSON so the file diffs well: one sentence / one vector per line.
    parts = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    parts.append(' "sentences": [')
    parts.append(",\n".join("  " + json.dumps(s, ensure_ascii=False) for s in sentences))
    parts.append(" ],")
    parts.append(' "vectors": [')
    parts.append(",\n".join("  [" + ", ".join(f"{round(float(x), 6)}" for x in v) + "]" for v in vecs))
    parts.append(" ]")
    parts.append("}")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    json.load(open(out, encoding="utf-8"))  # must parse
    print(f"wrote {len(sentences)} reference vectors to {out}")


def others_cpu_seconds():
    """CPU seconds used so far by everything on the machine except this process (Linux /proc/stat)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    hz = os.sysconf("SC_CLK_TCK")
    mine = sum(os.times()[:2])
    return (user + nice + system + irq + softirq + steal) / hz - mine


def bench(model, sentences, runs):
    batches = {}
    for b in BATCHES:
        model.encode(sentences[:64], batch_size=b, show_progress_bar=False)  # warm-up at this shape
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            model.encode(sentences, batch_size=b, show_progress_bar=False)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        batches[str(b)] = {"sentences_per_s": round(len(sentences) / med, 1), "runs_s": [round(x, 4) for x in times]}
    # Latency: one encode() call per message, as a service answering one request at a time would.
    # This includes encode()'s fixed cost (it walks all modules for .to(device) and .eval() on every
    # call, ~2.5 ms here), which is why 1000/p50 is below the batch-1 throughput above.
    lat = []
    for s in sentences:
        t = time.perf_counter()
        model.encode(s, show_progress_bar=False)
        lat.append((time.perf_counter() - t) * 1000)
    lat = np.array(lat)
    latency = {k: round(float(np.percentile(lat, q)), 3) for k, q in (("p50", 50), ("p90", 90), ("p99", 99))}
    latency["mean"] = round(float(lat.mean()), 3)
    return batches, latency


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--sentences", default=os.path.join(ROOT, "tests", "fixtures", "bench_sentences.txt"))
    ap.add_argument("--json", help="also write the results as JSON here")
    ap.add_argument("--reference", metavar="OUT", help="write reference vectors to OUT instead of benchmarking")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    # transformers 4.44 warns about a tokenizer default that does not affect encoding; keep output clean.
    warnings.filterwarnings("ignore", message=".*clean_up_tokenization_spaces.*")
    torch.set_num_threads(THREADS)  # same budget as the Rust encoder bench (intra-op threads)
    torch.manual_seed(0)
    model = load_model(args.model)
    if args.reference:
        write_reference(model, args.reference, args.sentences)
        return

    sentences = read_lines(args.sentences)
    busy0, wall0 = others_cpu_seconds(), time.perf_counter()
    with torch.inference_mode():
        batches, latency = bench(model, sentences, args.runs)
    others = (others_cpu_seconds() - busy0) / ((time.perf_counter() - wall0) * (os.cpu_count() or 1))
    if others > 0.05:
        print(f"bench_python: warning: other processes used {others:.0%} of the CPU during the run; "
              "torch's OpenMP threads suffer more than that share, so these figures are pessimistic",
              file=sys.stderr)
    result = {
        "backend": "python-sentence-transformers",
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "threads": THREADS,
        "sentences": len(sentences),
        "runs": args.runs,
        # encode() sorts each call's inputs by length before batching, which cuts padding.
        "length_sorted_batches": True,
        "cpu": platform.processor() or platform.machine(),
        # share of the machine's CPU time used by other processes while we measured (0 = quiet machine)
        "other_cpu_share": round(others, 3),
        "batches": batches,
        "latency_ms": latency,
    }
    print(f"sentence-transformers {result['sentence_transformers']}, torch {result['torch']}, "
          f"{THREADS} threads, {len(sentences)} sentences, median of {args.runs} runs")
    print(f"{'batch':>6} {'sentences/s':>12}")
    for b, r in batches.items():
        print(f"{b:>6} {r['sentences_per_s']:>12.1f}")
    print(f"latency at batch 1 (ms/call): p50 {latency['p50']:.2f}  p90 {latency['p90']:.2f}  "
          f"p99 {latency['p99']:.2f}  mean {latency['mean']:.2f}")
    print(f"other processes' share of the CPU during the run: {others:.1%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
