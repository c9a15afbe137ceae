"""The main example's pretraining recipe trained by the PyTorch peer, on the corpus stage's shards.

A cross-check of the engine's training (not CI): the model of bench/torch_roberta.py (checked
against the Hugging Face fixture by `torch_roberta.py check`), the TinyBrown schedule (linear
warm-up over steps/15, linear decay to 0), AdamW (beta 0.9/0.98, eps 1e-6, decay 0.01 on
matrices), RoBERTa's masking (15%; 80% <mask>, 10% random, 10% kept), 16 blocks per step drawn
in a seeded random order. Prints the training loss every 200 steps and the holdout loss and
accuracy at the end, the figures `roberta pretrain` prints for the engine.

  /usr/bin/python3 bench/torch_pretrain.py work/tiny-brown/corpus/<fp> --steps 3800
"""
import argparse
import glob
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import torch_roberta as tr  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--steps", type=int, default=3800)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    manifest = json.load(open(f"{a.corpus}/manifest.json"))
    length = manifest["format"]["blockLength"]
    vocab = manifest["tokenizer"]["vocabSize"]
    dtype = {"uint16": "<u2", "int32": "<i4"}[manifest["format"]["dtype"]]

    def blocks(pattern):
        files = sorted(glob.glob(f"{a.corpus}/{pattern}"))
        if not files:
            raise SystemExit(f"{a.corpus}: no {pattern} shards")
        return np.concatenate([np.fromfile(f, dtype=dtype) for f in files]).astype(np.int64).reshape(-1, length)

    train, hold = blocks("train-*.bin"), blocks("holdout-*.bin")
    s = tr.Spec(vocab=vocab, hidden=128, layers=2, heads=4, ffn=512, positions=length + 2, dropout=0.0)
    model = tr.Roberta(s).train()
    opt = tr.adamw(model, lr=a.lr)
    warm = max(1, a.steps // 15)
    mask_id = vocab - 1

    def lr_at(t):
        return a.lr * min(t / warm, max(0.0, (a.steps - t) / (a.steps - warm)))

    def mask(ids, g):
        ids = ids.clone()
        labels = torch.full_like(ids, tr.IGNORE)
        selected = (torch.rand(ids.shape, generator=g) < 0.15) & (ids > 2)
        labels[selected] = ids[selected]
        r = torch.rand(ids.shape, generator=g)
        ids[selected & (r < 0.8)] = mask_id
        rnd = selected & (r >= 0.8) & (r < 0.9)
        ids[rnd] = torch.randint(5, mask_id, ids.shape, generator=g)[rnd]
        return ids, (ids != s.pad).long(), labels

    g = torch.Generator().manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    epochs = a.steps * a.batch // len(train) + 1
    order = np.concatenate([rng.permutation(len(train)) for _ in range(epochs)])
    start = time.time()
    for t in range(1, a.steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr_at(t)
        x, attention, labels = mask(torch.from_numpy(train[order[(t - 1) * a.batch:t * a.batch]]), g)
        opt.zero_grad()
        loss = model.mlm_loss(x, attention, labels)[0]
        loss.backward()
        opt.step()
        if t % 200 == 0 or t == a.steps:
            print(f"step {t} loss {loss.item():.4f} lr {lr_at(t):.2e} {time.time() - start:.0f} s", flush=True)
    model.eval()
    g = torch.Generator().manual_seed(99)
    total = n = hits = 0
    with torch.no_grad():
        for i in range(0, len(hold), 64):
            x, attention, labels = mask(torch.from_numpy(hold[i:i + 64]), g)
            loss, logits, targets = model.mlm_loss(x, attention, labels)
            total += loss.item() * len(targets)
            n += len(targets)
            hits += (logits.argmax(-1) == targets).sum().item()
    print(f"holdout loss {total / n:.4f} accuracy {hits / n:.4f} over {n} masked tokens")


if __name__ == "__main__":
    main()
