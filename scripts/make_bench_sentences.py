#!/usr/bin/env python3
"""Write tests/fixtures/bench_sentences.txt: 512 customer-style messages for the encoder benchmarks.

Equal shares from four train splits in shared/data (banking, assistant intents, tweets), so the mix
has both short commands and longer noisy tweets. Deterministic (fixed seed, stdlib only): re-running
gives the same bytes as long as the input files are unchanged (their sha256 is printed to check).

    python3 scripts/make_bench_sentences.py [--data DIR] [--out FILE]
"""
import argparse
import hashlib
import html
import json
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS = ["banking77", "clinc150", "hwu64", "tweeteval_sentiment"]
TOTAL = 512
SEED = 20240722


def clean(text):
    # One message per line: no newlines/tabs inside, and tweets' HTML entities (&amp;, &gt;) decoded
    # because a real message carries the character, not the entity.
    return " ".join(html.unescape(text).split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "bench_sentences.txt"))
    args = ap.parse_args()

    rng = random.Random(SEED)
    seen, picked = set(), []
    for name in DATASETS:
        path = os.path.join(args.data, name, "train.jsonl")
        with open(path, "rb") as f:
            raw = f.read()
        print(f"{name}/train.jsonl sha256 {hashlib.sha256(raw).hexdigest()}")
        texts = [clean(json.loads(line)["text"]) for line in raw.decode("utf-8").splitlines() if line.strip()]
        want, got = TOTAL // len(DATASETS), 0
        # Shuffle all, then take the first unseen non-empty texts (no duplicates across datasets).
        for t in rng.sample(texts, len(texts)):
            if t and t.lower() not in seen:
                seen.add(t.lower())
                picked.append(t)
                got += 1
                if got == want:
                    break
    rng.shuffle(picked)  # interleave sources so every batch mixes short and long messages
    assert len(picked) == TOTAL
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(picked) + "\n")
    data = open(args.out, "rb").read()
    print(f"wrote {len(picked)} lines to {args.out} (sha256 {hashlib.sha256(data).hexdigest()})")


if __name__ == "__main__":
    main()
