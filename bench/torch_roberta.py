#!/usr/bin/env python3
"""A plain PyTorch RoBERTa, the peer of `roberta bench rows` (bench/vs-pytorch.sh runs both).

Written here, not imported from transformers, so that the work timed is exactly ours: the same
post-LN encoder, exact GELU, dropout 0.1 at the same sites, the masked-LM head projected onto the
vocabulary only for the masked rows in training, AdamW with decay on matrices only. Before timing
anything it checks itself against ../shared/fixtures/tiny-roberta (logits, hidden states, loss,
every gradient, parameters after one AdamW step) and refuses to time a model that does not match.

  python3 bench/torch_roberta.py check FIXTURE_DIR
  python3 bench/torch_roberta.py rows --rows train,step,base,infer,finetune --steps 3 --threads 2

`rows` prints one line per row: `row NAME UNITS_PER_STEP s1,s2,...` (seconds of each timed step
after --warmup untimed steps), the format `roberta bench rows` prints too.
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

IGNORE = -100
MASK_RATE = 0.15


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = memoryview(raw)[8 + n:]
    types = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=types[meta["dtype"]])
        out[name] = t.reshape(meta["shape"]).clone()
    return out


class Spec:
    def __init__(self, vocab, hidden, layers, heads, ffn, positions, dropout=0.1, pad=1, eps=1e-5):
        self.vocab, self.hidden, self.layers, self.heads = vocab, hidden, layers, heads
        self.ffn, self.positions, self.dropout, self.pad, self.eps = ffn, positions, dropout, pad, eps


TINY = dict(vocab=8000, hidden=128, layers=4, heads=4, ffn=512, positions=130)
BASE = dict(vocab=50265, hidden=768, layers=12, heads=12, ffn=3072, positions=514)


class Layer(nn.Module):
    def __init__(self, s):
        super().__init__()
        c = s.hidden
        self.heads = s.heads
        self.query, self.key, self.value = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.attn_out = nn.Linear(c, c)
        self.attn_norm = nn.LayerNorm(c, eps=s.eps)
        self.intermediate = nn.Linear(c, s.ffn)
        self.output = nn.Linear(s.ffn, c)
        self.out_norm = nn.LayerNorm(c, eps=s.eps)
        self.p = s.dropout

    def forward(self, x, key_bias):  # x [B,T,C], key_bias [B,1,1,T]
        b, t, c = x.shape
        d = c // self.heads

        def heads(y):  # [B,nh,T,d]
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + key_bias
        probs = F.dropout(scores.softmax(-1), self.p, self.training)
        context = (probs @ v).transpose(1, 2).reshape(b, t, c)
        h = self.attn_norm(F.dropout(self.attn_out(context), self.p, self.training) + x)
        y = self.output(F.gelu(self.intermediate(h)))
        return self.out_norm(F.dropout(y, self.p, self.training) + h)


class Roberta(nn.Module):
    """RobertaForMaskedLM (tied decoder) plus an optional sequence-classification head."""

    def __init__(self, s, num_labels=0):
        super().__init__()
        self.s = s
        c = s.hidden
        self.word = nn.Embedding(s.vocab, c)
        self.position = nn.Embedding(s.positions, c)
        self.token_type = nn.Embedding(1, c)
        self.emb_norm = nn.LayerNorm(c, eps=s.eps)
        self.layers = nn.ModuleList(Layer(s) for _ in range(s.layers))
        self.lm_dense = nn.Linear(c, c)
        self.lm_norm = nn.LayerNorm(c, eps=s.eps)
        self.lm_bias = nn.Parameter(torch.zeros(s.vocab))
        if num_labels:
            self.cls_dense = nn.Linear(c, c)
            self.cls_out = nn.Linear(c, num_labels)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def encode(self, ids, attention_mask, hidden_states=None):
        s = self.s
        not_pad = (ids != s.pad).long()
        positions = torch.cumsum(not_pad, 1) * not_pad + s.pad
        x = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        x = F.dropout(self.emb_norm(x), s.dropout, self.training)
        key_bias = ((1 - attention_mask.float()) * -1e9)[:, None, None, :]
        if hidden_states is not None:
            hidden_states.append(x)
        for layer in self.layers:
            x = layer(x, key_bias)
            if hidden_states is not None:
                hidden_states.append(x)
        return x

    def lm_logits(self, h):  # h [M, C]
        h = self.lm_norm(F.gelu(self.lm_dense(h)))
        return h @ self.word.weight.t() + self.lm_bias

    def mlm_loss(self, ids, attention_mask, labels):
        """Mean cross-entropy over the labelled rows; the head sees only those rows."""
        h = self.encode(ids, attention_mask).reshape(-1, self.s.hidden)
        flat = labels.reshape(-1)
        rows = (flat != IGNORE).nonzero().squeeze(1)
        logits = self.lm_logits(h.index_select(0, rows))
        return F.cross_entropy(logits, flat.index_select(0, rows)), logits, flat.index_select(0, rows)

    def cls_loss(self, ids, attention_mask, labels):
        h = self.encode(ids, attention_mask)[:, 0]
        h = F.dropout(h, self.s.dropout, self.training)
        h = F.dropout(torch.tanh(self.cls_dense(h)), self.s.dropout, self.training)
        return F.cross_entropy(self.cls_out(h), labels)

    def hf_names(self):
        """Our parameters by their Hugging Face names."""
        names = {
            "roberta.embeddings.word_embeddings.weight": self.word.weight,
            "roberta.embeddings.position_embeddings.weight": self.position.weight,
            "roberta.embeddings.token_type_embeddings.weight": self.token_type.weight,
            "roberta.embeddings.LayerNorm.weight": self.emb_norm.weight,
            "roberta.embeddings.LayerNorm.bias": self.emb_norm.bias,
            "lm_head.dense.weight": self.lm_dense.weight, "lm_head.dense.bias": self.lm_dense.bias,
            "lm_head.layer_norm.weight": self.lm_norm.weight,
            "lm_head.layer_norm.bias": self.lm_norm.bias, "lm_head.bias": self.lm_bias,
        }
        parts = {"attention.self.query": "query", "attention.self.key": "key",
                 "attention.self.value": "value", "attention.output.dense": "attn_out",
                 "attention.output.LayerNorm": "attn_norm", "intermediate.dense": "intermediate",
                 "output.dense": "output", "output.LayerNorm": "out_norm"}
        for i, layer in enumerate(self.layers):
            for hf, ours in parts.items():
                m = getattr(layer, ours)
                names[f"roberta.encoder.layer.{i}.{hf}.weight"] = m.weight
                names[f"roberta.encoder.layer.{i}.{hf}.bias"] = m.bias
        return names


def adamw(model, lr=1e-3):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                              {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.98), eps=1e-6)


def check(fixture):
    """Loads the HF fixture and compares everything it holds; exits non-zero on a mismatch."""
    cfg = json.load(open(f"{fixture}/mlm/config.json"))
    s = Spec(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"],
             cfg["num_attention_heads"], cfg["intermediate_size"], cfg["max_position_embeddings"],
             dropout=0.0, pad=cfg["pad_token_id"], eps=cfg["layer_norm_eps"])
    model = Roberta(s)
    weights = read_safetensors(f"{fixture}/mlm/model.safetensors")
    ref = read_safetensors(f"{fixture}/reference.safetensors")
    with torch.no_grad():
        for name, p in model.hf_names().items():
            p.copy_(weights[name])
    model.train()  # dropout is 0 in the fixture's config
    ids, mask, labels = ref["input_ids"], ref["attention_mask"], ref["labels"]
    worst = {}

    def note(group, got, want, scale=1.0):
        worst[group] = max(worst.get(group, 0.0), (got - want).abs().max().item() / scale)

    hidden = []
    h = model.encode(ids, mask, hidden)
    for i, x in enumerate(hidden):
        note("hidden states", x, ref[f"hidden_states.{i}"])
    note("logits", model.lm_logits(h), ref["logits"])
    loss, _, _ = model.mlm_loss(ids, mask, labels)
    note("loss", loss, torch.tensor(json.load(open(f"{fixture}/reference.json"))["loss"]))
    loss.backward()
    for name, p in model.hf_names().items():
        want = ref["grad." + name]
        note("gradients (relative to max(|g|, 1e-3))", p.grad, want, max(want.abs().max().item(), 1e-3))
    adamw(model).step()
    for name, p in model.hf_names().items():
        note("after one AdamW step", p.detach(), ref["after_adamw_step." + name])
    ok = all(v <= 1e-5 for v in worst.values())
    for group, v in worst.items():
        print(f"check {group:45s} worst {v:.2e} (tolerance 1e-5) {'PASS' if v <= 1e-5 else 'FAIL'}")
    print("check: the PyTorch peer matches the Hugging Face fixture" if ok else "check: MISMATCH")
    return 0 if ok else 1


def mlm_batch(s, batch, seq, seed=5):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, s.vocab, (batch, seq), generator=g)
    labels = torch.full_like(ids, IGNORE)
    masked = torch.rand(batch, seq, generator=g) < MASK_RATE
    labels[masked] = ids[masked]
    ids[masked] = s.vocab - 1  # <mask> last, as a recipe's own tokenizer puts it
    return ids, torch.ones_like(ids), labels


def timed(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def rows(names, steps, warmup):
    out = []
    for name in names:
        if name in ("train", "step", "infer"):
            s, b = Spec(**TINY), 64 if name == "infer" else 32
        elif name == "base":
            s, b = Spec(**BASE), 8
        elif name == "finetune":
            s, b = Spec(**TINY), 32
        else:
            raise SystemExit(f"unknown row '{name}'; valid: train, step, base, infer, finetune")
        torch.manual_seed(1)
        model = Roberta(s, num_labels=2 if name == "finetune" else 0)
        ids, mask, labels = mlm_batch(s, b, 128)
        opt = adamw(model, lr=1e-4)
        units = b * 128
        if name in ("train", "base"):
            model.train()

            def fn():
                model.zero_grad(set_to_none=False)
                model.mlm_loss(ids, mask, labels)[0].backward()
        elif name == "step":
            model.train()

            def fn():
                opt.zero_grad(set_to_none=False)
                model.mlm_loss(ids, mask, labels)[0].backward()
                opt.step()
        elif name == "infer":
            model.eval()

            def fn():
                with torch.no_grad():
                    loss, logits, targets = model.mlm_loss(ids, mask, labels)
                    (logits.argmax(-1) == targets).sum().item()
        else:
            model.train()
            cls = torch.arange(b) % 2
            ids[:, 0] = 0
            units = b

            def fn():
                opt.zero_grad(set_to_none=False)
                model.cls_loss(ids, mask, cls).backward()
                opt.step()
        t = timed(fn, steps, warmup)
        line = f"row {name} {units} " + ",".join(f"{x:.5f}" for x in t)
        print(line, flush=True)
        out.append(line)
    return out


def blas_build():
    """The OpenBLAS build PyTorch calls and the CPU kernels it chose (as the engine's bench prints)."""
    import ctypes
    torch.zeros(2, 2) @ torch.zeros(2, 2)  # the BLAS is loaded by now
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the copy already loaded through libblas.so.3
        lib.openblas_get_config.restype = lib.openblas_get_corename.restype = ctypes.c_char_p
        return f"{lib.openblas_get_config().decode()}, kernels {lib.openblas_get_corename().decode()}"
    except (OSError, AttributeError) as e:
        return f"not OpenBLAS or not readable ({e})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["check", "rows"])
    ap.add_argument("fixture", nargs="?")
    ap.add_argument("--rows", default="train,step,base,infer,finetune")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.what == "check":
        sys.exit(check(a.fixture))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, BLAS: {blas_build()}", file=sys.stderr)
    print(f"blas {blas_build()}", flush=True)
    rows(a.rows.split(","), a.steps, a.warmup)


if __name__ == "__main__":
    main()
