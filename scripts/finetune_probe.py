# Research probe, NOT used by the service: how much does FULL supervised fine-tuning of
# all-MiniLM-L6-v2 (mean pooling + linear layer, every weight trained) help over the frozen
# encoder + linear softmax head that hearken uses? Prints one JSON line of results.
#
# Commands (from /work/main; PY=/root/.cache/hearken/st-bench-venv/bin/python):
#   nice -n 15 $PY scripts/finetune_probe.py --task complaints --epochs 3   # stratified 5-fold CV, seed 0
#   nice -n 15 $PY scripts/finetune_probe.py --task tweeteval --epochs 2 --subset 12000  # train -> val
#   nice -n 15 $PY scripts/finetune_probe.py --task airline --epochs 3      # stratified 80/20, seed 0
# Options: --model DIR (HF-format MiniLM, default /root/.cache/hearken/src-models), --threads N,
# --log FILE (progress with timings, default /tmp/ftprobe/<task>.log).
import argparse, html, json, os, re, time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

DATA = "/work/shared/data"
MENTION = re.compile(r"@\w+")
URL = re.compile(r"(https?://|www\.)\S+")


def preprocess(text):
    # Like src/nlu/normalize.rs for the parts that matter here: @mentions -> "@user",
    # links -> "http", HTML entities decoded (emoji/emoticon naming is not replicated).
    text = URL.sub("http", text)
    text = MENTION.sub("@user", text)
    return " ".join(html.unescape(text).split())


def load(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [preprocess(r["text"]) for r in rows], [r["label"] for r in rows]


class Classifier(torch.nn.Module):
    def __init__(self, model_dir, n_labels):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(model_dir)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # sentence-transformers mean pooling
        return self.head(pooled)


def batches(tok, texts, idx, size, max_len):
    for i in range(0, len(idx), size):
        chunk = [texts[j] for j in idx[i:i + size]]
        yield idx[i:i + size], tok(chunk, padding=True, truncation=True, max_length=max_len, return_tensors="pt")


def train_eval(args, tok, texts, y, train_idx, eval_idx, n_labels, class_weight, log, tag):
    """Fine-tune on train_idx, predict eval_idx. Returns (predictions, train seconds, examples seen)."""
    torch.manual_seed(args.seed)
    model = Classifier(args.model, n_labels)
    opt = torch.optim.AdamW([
        {"params": model.encoder.parameters(), "lr": args.lr_encoder},
        {"params": model.head.parameters(), "lr": args.lr_head},
    ], weight_decay=0.01)
    steps = args.epochs * ((len(train_idx) + args.batch - 1) // args.batch)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    weight = torch.tensor(class_weight, dtype=torch.float) if class_weight is not None else None
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    y_t = torch.tensor(y)
    gen = torch.Generator().manual_seed(args.seed)
    t0, seen, step = time.time(), 0, 0
    for epoch in range(args.epochs):
        model.train()
        order = np.asarray(train_idx)[torch.randperm(len(train_idx), generator=gen).numpy()].tolist()
        for idx, enc in batches(tok, texts, order, args.batch, args.max_len):
            loss = loss_fn(model(**enc), y_t[idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            seen += len(idx); step += 1
            if step % 50 == 0 or step == steps:
                el = time.time() - t0
                log(f"{tag} epoch {epoch + 1}/{args.epochs} step {step}/{steps} loss {loss.item():.4f} "
                    f"elapsed {el:.0f}s {seen / el:.1f} ex/s")
    train_s = time.time() - t0
    model.eval()
    preds = {}
    by_len = sorted(eval_idx, key=lambda j: len(texts[j]))  # less padding when predicting
    with torch.no_grad():
        for idx, enc in batches(tok, texts, by_len, 128, args.max_len):
            for j, p in zip(idx, model(**enc).argmax(-1).tolist()):
                preds[j] = p
    log(f"{tag} trained {seen} examples in {train_s:.0f}s; predicted {len(eval_idx)} in {time.time() - t0 - train_s:.0f}s")
    return [preds[j] for j in eval_idx], train_s, seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", required=True, choices=["complaints", "tweeteval", "airline"])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--subset", type=int, default=0, help="stratified random subset of the training data (0 = all)")
    ap.add_argument("--model", default="/root/.cache/hearken/src-models")
    ap.add_argument("--lr-encoder", type=float, default=3e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    log_path = args.log or f"/tmp/ftprobe/{args.task}.log"
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    log_file = open(log_path, "a", encoding="utf-8")

    def log(msg):
        log_file.write(f"{time.strftime('%H:%M:%S')} {msg}\n"); log_file.flush()

    log(f"start {vars(args)}")
    wall0 = time.time()
    tok = AutoTokenizer.from_pretrained(args.model)
    src = {"complaints": "complaints", "tweeteval": "tweeteval_sentiment", "airline": "airline_sentiment"}[args.task]
    texts, labels = load(f"{DATA}/{src}/train.jsonl")
    train_pool = np.arange(len(texts))
    if args.task == "tweeteval":  # val rows go after the train rows; only train rows are trained on
        val_texts, val_labels = load(f"{DATA}/{src}/val.jsonl")
        val_idx = np.arange(len(texts), len(texts) + len(val_texts))
        texts, labels = texts + val_texts, labels + val_labels
    names = sorted(set(labels))
    y = [names.index(l) for l in labels]
    y_arr = np.array(y)
    if args.subset and args.subset < len(train_pool):
        train_pool, _ = train_test_split(train_pool, train_size=args.subset, stratify=y_arr[train_pool],
                                         random_state=args.seed)
    if args.task == "complaints":
        splits = StratifiedKFold(5, shuffle=True, random_state=args.seed).split(train_pool, y_arr[train_pool])
        splits = [(train_pool[a], train_pool[b]) for a, b in splits]
    elif args.task == "tweeteval":
        splits = [(train_pool, val_idx)]
    else:
        a, b = train_test_split(train_pool, test_size=0.2, stratify=y_arr[train_pool], random_state=args.seed)
        splits = [(a, b)]

    folds, train_s, seen = [], 0.0, 0
    for k, (tr, ev) in enumerate(splits):
        cw = None
        if args.task == "complaints":  # class-weighted cross-entropy: n / (classes * count)
            counts = np.bincount(y_arr[tr], minlength=len(names))
            cw = (len(tr) / (len(names) * counts)).tolist()
        pred, s, n = train_eval(args, tok, texts, y, tr.tolist(), ev.tolist(), len(names), cw, log, f"[{args.task} split {k}]")
        train_s += s; seen += n
        gold = y_arr[ev]
        m = {"macro_f1": f1_score(gold, pred, average="macro"),
             "macro_recall": recall_score(gold, pred, average="macro"),
             "accuracy": accuracy_score(gold, pred)}
        if args.task == "complaints":
            c = names.index("complaint")
            m["complaint_recall"] = recall_score(gold, pred, labels=[c], average="macro")
            m["complaint_precision"] = precision_score(gold, pred, labels=[c], average="macro", zero_division=0)
        folds.append(m)
        log(f"[{args.task} split {k}] {json.dumps(m)}")

    result = {"task": args.task, "epochs": args.epochs, "train_examples_per_split": len(splits[0][0]),
              "eval_examples_per_split": len(splits[0][1]), "splits": len(splits),
              **{key: round(float(np.mean([f[key] for f in folds])), 4) for key in folds[0]},
              "wall_s": round(time.time() - wall0, 1), "train_s": round(train_s, 1),
              "train_examples_per_s": round(seen / train_s, 1), "threads": args.threads,
              "lr_encoder": args.lr_encoder, "lr_head": args.lr_head, "batch": args.batch, "max_len": args.max_len}
    if len(folds) > 1:
        result["per_split"] = [{k: round(float(v), 4) for k, v in f.items()} for f in folds]
    log(f"result {json.dumps(result)}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
