#!/bin/bash
# The GPU window of issue 15, ON THE GPU MACHINE in one device call (carry: [".gpu"], timeout_s
# 600), after gpu/prepare-carry.sh here:   bash .gpu/run-gpu-window.sh
# Uses about 10 of the 15 minutes, in this order, each phase with its own time limit so a hang
# cannot eat the rest, each reported even when an earlier one failed:
#   1. the mid-size parity fixture made here with PyTorch FP32, TF32 off (hidden 768, 12 heads,
#      2 layers, vocabulary 50,265, 2 x 512 with padding), so that the Java run can use it;
#   2. Java, one process and one device (GpuChecks): kernels at production shapes (roberta-base
#      32 x 512, FP32 and BF16) with the debug sync on (every launch waited for, a fault named by
#      its kernel); tiny HF parity FP32/BF16; mid-size parity FP32/BF16; roberta-base training
#      benchmark BF16 and FP32 with phase timings; the tiny example's 200-step curves;
#   3. HF eager and torch.compile on the same settings (full-vocabulary logits for every token,
#      which the Java engine computes only for the labelled 15%: the summary says so).
# Results: $OUT/summary.txt (one file), plus each phase's log.
# Dry run anywhere (no GPU, no .gpu/): DRY=1 CP=<class path> DATA=<dir with tiny-roberta and
# nd4j-tiny-curve.txt> bash gpu/run-gpu-window.sh  (the device is the dry one; python phases fail
# without torch, and are reported as failed while the rest goes on)
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
here=$(cd "$(dirname "$0")" && pwd)
summary="$OUT/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
phase() {  # name seconds command...
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  note "== $name: exit $rc$([ $rc = 124 ] && echo ' (timed out)') in $((SECONDS - t0)) s"
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/device: /' | tee -a "$summary"
JAVA=${JAVA:-/tmp/jre/bin/java}
CP=${CP:-$here/lib/*}
DATA=${DATA:-$here/data}
DRY_FLAG=()
if [ "${DRY:-0}" = 1 ]; then
  JAVA=java
  DRY_FLAG=(--dry)
else
  tar xJf "$here/jre.tar.xz" -C /tmp
  source "$here/env.sh"
fi

phase mid-fixture 120 python3 "$here/make_parity_fixture.py" "$OUT/mid-fixture"
tail -1 "$OUT/mid-fixture.log" | sed 's/^/  /' >> "$summary"

phase java 360 "$JAVA" ${JAVA_GPU_OPTS:-} -Xmx24g -Droberta.gpu.midFixture="$OUT/mid-fixture" \
  -cp "$CP" io.roberta.engine.cuda.check.GpuChecks "$DATA/tiny-roberta" "$DATA/nd4j-tiny-curve.txt" \
  "$OUT" "$([ "${DRY:-0}" = 1 ] && echo 1 || echo 10)" "${DRY_FLAG[@]}"
# GpuChecks rewrites java-results.txt after every phase: whatever finished is in it
sed 's/^/  /' "$OUT/java-results.txt" >> "$summary" 2>/dev/null || note "  (no java-results.txt)"

phase hf-baseline 150 python3 "$here/hf_baseline.py" --steps 10
grep -E "tokens/s|Error|error" "$OUT/hf-baseline.log" | sed 's/^/  /' >> "$summary"
note "note: HF computes full-vocabulary logits for every token; the Java engine's decoder runs on the labelled 15% only"
cat "$summary"
