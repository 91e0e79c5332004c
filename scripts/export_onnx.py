#!/usr/bin/env python3
"""One-time export of a sentence-transformers model to ONNX (run by `make model-accurate`).

Input:  a sentence-transformers directory (model.safetensors, config.json, tokenizer.json).
Output: OUT (float ONNX graph: input_ids, attention_mask -> last_hidden_state) and REFERENCE,
        an .npz with the token ids, masks and the float sentence vectors (torch, mean pooling,
        L2 normalisation, as sentence-transformers computes them) of the check sentences in
        prepare_model.py, one sentence at a time, so the prepared graph is checked against them.
Runs in the hash-locked torch venv (scripts/bench-requirements.txt); nothing is downloaded.
"""
import argparse
import os
import sys

# torch.onnx.export needs the onnx package; the preparation venv has it (appended, so this venv's
# numpy stays first on the path).
if os.environ.get("HEARKEN_ONNX_SITE"):
    sys.path.append(os.environ["HEARKEN_ONNX_SITE"])

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_sentences import SENTENCES  # noqa: E402


class LastHidden(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reference", required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(args.src)
    model = AutoModel.from_pretrained(args.src).eval()
    # The reference first: exporting traces the model and leaves it changed for later calls.
    refs, arrays = [], {}
    with torch.no_grad():
        for i, s in enumerate(SENTENCES):
            b = tok([s], return_tensors="pt", truncation=True, max_length=256)
            h = model(**b).last_hidden_state[0]
            v = h.mean(0)
            refs.append((v / v.norm()).numpy())
            arrays[f"ids_{i}"] = b["input_ids"].numpy()
    sample = tok(["an example sentence"], return_tensors="pt")
    torch.onnx.export(
        LastHidden(model),
        (sample["input_ids"], sample["attention_mask"]),
        args.out,
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "last_hidden_state")},
        opset_version=17,
    )
    np.savez(args.reference, reference=np.stack(refs), **arrays)
    print(f"exported {args.out} ({os.path.getsize(args.out) // 1_000_000} MB), {len(refs)} reference vectors")


if __name__ == "__main__":
    main()
