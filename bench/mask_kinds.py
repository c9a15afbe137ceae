"""Masked-LM accuracy of an exported model split by what the masking did to each selected token.

RoBERTa's masking replaces 80% of the selected tokens by <mask>, 10% by a random token and keeps
10%. A model that only copies its input and otherwise guesses the commonest tokens scores about
0.1 + 0.9 x (constant guess) over all selected tokens, which looks like learning but is none: this
splits the holdout accuracy into the three kinds, so the <mask> rows show what context adds.
Not part of CI (needs Debian's python3-torch; see bench/vs-pytorch.sh).

  /usr/bin/python3 bench/mask_kinds.py work/tiny-brown/pretrain/<fp>/hf work/tiny-brown/corpus/<fp>
"""
import glob
import json
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import torch_roberta as tr  # noqa: E402


def main(hf, corpus, blocks_per_batch=64, seed=5):
    cfg = json.load(open(f"{hf}/config.json"))
    manifest = json.load(open(f"{corpus}/manifest.json"))
    length = manifest["format"]["blockLength"]
    s = tr.Spec(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                cfg["intermediate_size"], cfg["max_position_embeddings"], dropout=0.0,
                pad=cfg["pad_token_id"], eps=cfg["layer_norm_eps"])
    model = tr.Roberta(s).eval()
    weights = tr.read_safetensors(f"{hf}/model.safetensors")
    with torch.no_grad():
        for name, p in model.hf_names().items():
            if name not in weights:
                raise SystemExit(f"{hf}/model.safetensors: no tensor {name}; is it a RobertaForMaskedLM export?")
            p.copy_(weights[name])
    dtype = {"uint16": "<u2", "int32": "<i4"}[manifest["format"]["dtype"]]
    files = sorted(glob.glob(f"{corpus}/holdout-*.bin"))
    if not files:
        raise SystemExit(f"{corpus}: no holdout-*.bin shards")
    hold = np.concatenate([np.fromfile(f, dtype=dtype) for f in files]).astype(np.int64)
    hold = torch.from_numpy(hold.reshape(-1, length))
    special = {cfg.get("bos_token_id", 0), cfg["pad_token_id"], cfg.get("eos_token_id", 2)}
    mask_id = s.vocab - 1
    g = torch.Generator().manual_seed(seed)
    hits, counts, losses = {}, {}, {}
    with torch.no_grad():
        for i in range(0, len(hold), blocks_per_batch):
            ids = hold[i:i + blocks_per_batch]
            selectable = torch.ones_like(ids, dtype=torch.bool)
            for t in special:
                selectable &= ids != t
            selected = (torch.rand(ids.shape, generator=g) < 0.15) & selectable
            r = torch.rand(ids.shape, generator=g)
            kinds = {"<mask>": selected & (r < 0.8), "random": selected & (r >= 0.8) & (r < 0.9),
                     "kept": selected & (r >= 0.9)}
            x = ids.clone()
            x[kinds["<mask>"]] = mask_id
            x[kinds["random"]] = torch.randint(5, mask_id, ids.shape, generator=g)[kinds["random"]]
            h = model.encode(x, (x != s.pad).long())
            for kind, where in kinds.items():
                if where.any():
                    logits = model.lm_logits(h[where])
                    hits[kind] = hits.get(kind, 0) + (logits.argmax(-1) == ids[where]).sum().item()
                    losses[kind] = losses.get(kind, 0.0) + torch.nn.functional.cross_entropy(
                        logits, ids[where], reduction="sum").item()
                    counts[kind] = counts.get(kind, 0) + where.sum().item()
    total = sum(counts.values())
    print(f"holdout {len(hold)} blocks, {total} selected tokens (15%, seed {seed})")
    for kind in ("<mask>", "random", "kept"):
        n = max(1, counts.get(kind, 0))
        print(f"  {kind:7s} {counts.get(kind, 0):7d} tokens  accuracy {hits.get(kind, 0) / n:.4f}  loss {losses.get(kind, 0) / n:.4f}")
    print(f"  all     {total:7d} tokens  accuracy {sum(hits.values()) / max(1, total):.4f}  loss {sum(losses.values()) / max(1, total):.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
