"""Hugging Face baseline for the CUDA backend's benchmark, with the settings of
shared/gpu/README.md: RobertaForMaskedLM roberta-base (RobertaConfig() defaults, random
weights, no download), bf16 autocast, fused AdamW, sequence 512, batch 32, 15% of tokens
labelled; eager, then torch.compile. Prints training tokens/s (median step) for each."""
import argparse
import statistics
import time

import torch
from transformers import RobertaConfig, RobertaForMaskedLM


def bench(compiled, steps, batch, seq):
    torch.manual_seed(0)
    model = RobertaForMaskedLM(RobertaConfig()).cuda().train()
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
    a = p.parse_args()
    print(torch.__version__, torch.cuda.get_device_name(0), flush=True)
    bench(False, a.steps, 32, 512)
    bench(True, a.steps, 32, 512)
