"""Hugging Face baseline for the CUDA backend's benchmark, with the settings of
shared/gpu/README.md: RobertaForMaskedLM roberta-base (the config below, random weights, no
download), bf16 autocast, fused AdamW, sequence 512, batch 32, 15% of tokens labelled; eager,
then torch.compile. Prints training tokens/s (median step) for each.

HF computes the full-vocabulary logits for every token (the Java engine only for the labelled
15%): a ratio against this baseline must say so.

`--print-config` prints the config as config.json would hold it, without importing torch, so a
test here (HfBaselineConfigTest) checks it against GpuChecks.robertaBase()."""
import argparse
import json
import statistics
import time

# roberta-base as published (and as Roberta.base() / GpuChecks.robertaBase() build it). Not
# RobertaConfig()'s defaults: those have 512 positions (RoBERTa needs 514: positions start after
# the padding id 1, so 512-token rows index out of range), layer-norm eps 1e-12 and two token types.
ROBERTA_BASE = {
    "architectures": ["RobertaForMaskedLM"],
    "model_type": "roberta",
    "vocab_size": 50265,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "max_position_embeddings": 514,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.02,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}


def bench(compiled, steps, batch, seq):
    import torch
    from transformers import RobertaConfig, RobertaForMaskedLM

    torch.manual_seed(0)
    model = RobertaForMaskedLM(RobertaConfig(**ROBERTA_BASE)).cuda().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-6,
                            weight_decay=0.01, fused=True)
    step_model = torch.compile(model) if compiled else model
    ids = torch.randint(4, 50260, (batch, seq), device="cuda")
    labels = torch.full_like(ids, -100)
    masked = torch.rand(batch, seq, device="cuda") < 0.15
    labels[masked] = ids[masked]
    ids[masked] = 50264
    times = []
    for i in range(steps + 3):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = step_model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    name = "torch.compile" if compiled else "eager"
    print(f"HF {name} roberta-base seq {seq} batch {batch}: {median * 1e3:.1f} ms/step, "
          f"{batch * seq / median:,.0f} tokens/s, loss {loss.item():.3f}", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--print-config", action="store_true", help="print the model config as JSON and exit")
    a = p.parse_args()
    if a.print_config:
        print(json.dumps(ROBERTA_BASE, indent=2))
        raise SystemExit(0)
    import torch

    print(torch.__version__, torch.cuda.get_device_name(0), flush=True)
    bench(False, a.steps, 32, 512)
    bench(True, a.steps, 32, 512)
