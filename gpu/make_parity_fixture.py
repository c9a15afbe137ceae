"""Writes a parity fixture in the layout of engine/src/test/resources/tiny-roberta (see its
README) with PyTorch in FP32 on the GPU, TF32 off: a random RobertaForMaskedLM of hidden 768,
12 heads, 2 layers, vocabulary 50,265, inputs 2 x 512 with the second row padded; HF's hidden
states, logits, loss, every gradient and the parameters after one AdamW step (lr 1e-3, betas
(0.9, 0.98), eps 1e-6, weight decay 0.01 on parameters of 2 or more dimensions, as the tiny
fixture). `roberta parity <dir>` / GpuChecks (-Droberta.gpu.midFixture=<dir>) compare a backend
with it.

Written for the GPU window (no torch on the development machines): not run here.
Usage: python3 make_parity_fixture.py <out dir> [--layers 2] [--seq 512]"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
import transformers
from transformers import RobertaConfig, RobertaForMaskedLM


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--seq", type=int, default=512)
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(15)
    vocab = 50265
    config = RobertaConfig(vocab_size=vocab, hidden_size=768, num_hidden_layers=a.layers, num_attention_heads=12,
                           intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1,
                           layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = RobertaForMaskedLM(config).cuda().float().train()
    os.makedirs(os.path.join(a.out, "mlm"), exist_ok=True)
    model.save_pretrained(os.path.join(a.out, "mlm"), safe_serialization=True)

    batch, seq = 2, a.seq
    ids = torch.randint(4, vocab - 1, (batch, seq), device="cuda")
    ids[:, 0] = 0
    mask = torch.ones(batch, seq, dtype=torch.long, device="cuda")
    valid = seq * 3 // 5  # the second row is padded after this many tokens
    ids[1, valid - 1] = 2
    ids[1, valid:] = 1
    mask[1, valid:] = 0
    labels = torch.full_like(ids, -100)
    pick = (torch.rand(batch, seq, device="cuda") < 0.15) & (mask == 1)
    pick[:, 0] = False
    labels[pick] = ids[pick]
    ids[pick] = vocab - 1  # <mask>

    out = model(input_ids=ids, attention_mask=mask, labels=labels, output_hidden_states=True)
    out.loss.backward()
    tensors = {"input_ids": ids.int().cpu(), "attention_mask": mask.int().cpu(), "labels": labels.int().cpu(),
               "logits": out.logits.detach().float().cpu().contiguous()}
    for i, h in enumerate(out.hidden_states):
        tensors[f"hidden_states.{i}"] = h.detach().float().cpu().contiguous()
    named = [(n, q) for n, q in model.named_parameters() if n != "lm_head.decoder.weight"]
    for n, q in named:
        tensors["grad." + n] = q.grad.detach().float().cpu().contiguous()
    decay = [q for n, q in named if q.dim() >= 2]
    no_decay = [q for n, q in named if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    opt.step()
    for n, q in named:
        tensors["after_adamw_step." + n] = q.detach().float().cpu().contiguous()
    save_file(tensors, os.path.join(a.out, "reference.safetensors"))
    with open(os.path.join(a.out, "reference.json"), "w") as f:
        json.dump({"loss": out.loss.item(),
                   "adamw": {"lr": 1e-3, "betas": [0.9, 0.98], "eps": 1e-6, "weight_decay": 0.01,
                             "no_decay": "parameters with fewer than 2 dimensions (biases, LayerNorm)"},
                   "mask_token_id": vocab - 1, "pad_token_id": 1, "transformers": transformers.__version__,
                   "torch": torch.__version__, "tf32": False}, f, indent=1)
    print(f"fixture in {a.out}: loss {out.loss.item():.6f}, {len(named)} parameters", flush=True)


if __name__ == "__main__":
    main()
