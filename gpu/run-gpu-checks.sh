#!/bin/bash
# Runs ON THE GPU MACHINE in one device call (carry: [".gpu"]), after gpu/prepare-carry.sh here:
#   bash .gpu/run-gpu-checks.sh
# 1. the Java checks: HF parity FP32 and BF16, the tiny 200-step curve against ND4J's, and
#    roberta-base training throughput (seq 512, batch 32) in BF16 and FP32;
# 2. the Hugging Face baseline in python3 on the same machine: eager and torch.compile.
# Everything lands under $OUT (summary.txt first).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
here=$(cd "$(dirname "$0")" && pwd)
tar xJf "$here/jre.tar.xz" -C /tmp
source "$here/env.sh"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/nvidia-smi.txt" 2>&1
timeout 330 /tmp/jre/bin/java $JAVA_GPU_OPTS -Xmx24g -cp "$here/lib/*" io.roberta.engine.cuda.check.GpuChecks \
  "$here/data/tiny-roberta" "$here/data/nd4j-tiny-curve.txt" "$OUT" 10 > "$OUT/java.log" 2>&1
echo "java exit $?" >> "$OUT/java.log"
timeout 200 python3 "$here/hf_baseline.py" --steps 10 > "$OUT/hf.log" 2>&1
echo "python exit $?" >> "$OUT/hf.log"
{ cat "$OUT/nvidia-smi.txt"; grep -E "^(device|bench|tiny|parity|  |GPU|java exit)" "$OUT/java.log"; \
  grep -E "tokens/s|exit" "$OUT/hf.log"; } > "$OUT/summary.txt"
cat "$OUT/summary.txt"
