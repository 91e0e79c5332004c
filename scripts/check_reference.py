#!/usr/bin/env python3
"""Cross-check tests/fixtures/reference_embeddings.json (sentence-transformers/torch) against the
independent float64 numpy BERT in scripts/prepare_model.py. Needs numpy + onnx (the prep venv):

    ~/.cache/hearken/prep-venv-1/bin/python scripts/check_reference.py [--min 0.999]

Only the 16 fixed SENTENCES are checked: prepare_model.simple_tokenize is meant for those, not for
arbitrary text (the bench lines are printed for information only).
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import prepare_model as pm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default=os.path.join(ROOT, "tests", "fixtures", "reference_embeddings.json"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--min", type=float, default=0.999)
    args = ap.parse_args()

    ref = json.load(open(args.ref, encoding="utf-8"))
    assert ref["sentences"][:16] == pm.SENTENCES, "fixture does not start with prepare_model.SENTENCES"
    weights = pm.load_safetensors(os.path.join(args.model, "model.safetensors"))
    ids, mask = pm.simple_tokenize(os.path.join(args.model, "vocab.txt"), ref["sentences"])
    ours = pm.float_reference(weights, ids, mask)
    theirs = np.array(ref["vectors"], dtype=np.float64)
    cos = (ours * theirs).sum(1) / np.linalg.norm(theirs, axis=1)
    for i, (s, c) in enumerate(zip(ref["sentences"], cos)):
        print(f"{'fixed' if i < 16 else 'bench'} {c:.9f}  {s[:60]}")
    fixed = cos[:16]
    print(f"SENTENCES: min cosine {fixed.min():.9f} (1 - min = {1 - fixed.min():.2e}); "
          f"max |diff| {np.abs(ours[:16] - theirs[:16]).max():.2e}; bench lines (info only): min {cos[16:].min():.9f}")
    if fixed.min() < args.min:
        sys.exit(f"min cosine {fixed.min():.6f} < {args.min}")


if __name__ == "__main__":
    main()
