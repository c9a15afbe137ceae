#!/usr/bin/env bash
# Benchmark (not part of CI): the engine (`roberta bench rows`) against a plain PyTorch RoBERTa
# (bench/torch_roberta.py) on identical work, side by side on this machine. Prints seconds per
# step of each side, tokens/s (examples/s for fine-tuning) and the ratio ours / PyTorch per row:
#
#   train     tiny preset, 32 x 128, forward + backward, dropout 0.1, LM head on the 15% masked rows
#   step      the same plus AdamW (a full training step)
#   base      roberta-base shapes, 8 x 128, forward + backward
#   infer     tiny, 64 x 128, evaluation forward (loss and arg-max on the masked rows)
#   finetune  tiny + 2-label classification head, 32 x 128, forward + backward + AdamW
#
# Both sides get the same native thread count and the same OMP_WAIT_POLICY; each policy in
# POLICIES is measured. The two sides alternate ROUNDS times (a shared machine's load drifts;
# alternating spreads it over both), and each row's figure is the median of all its timed steps.
#
#   bench/vs-pytorch.sh                         (after ./mvnw -DskipTests install, or ./roberta once)
#   ROWS=train,step ROUNDS=3 STEPS=3 POLICIES="PASSIVE ACTIVE" THREADS=2 bench/vs-pytorch.sh
#
# The peer needs Debian's PyTorch and the OpenMP OpenBLAS (without it PyTorch falls back to the
# reference BLAS, about 20x slower):  apt-get update && apt-get install -y python3-torch libopenblas0-openmp
# Without them this script says so and exits 0. The launcher also lets the engine's bundled
# OpenBLAS workers (pthreads, not OpenMP like the peer's) sleep at once (OPENBLAS_THREAD_TIMEOUT=4)
# and, under ACTIVE, bounds libgomp's spinning (GOMP_SPINCOUNT=10000). Each side's OpenBLAS picks
# its own CPU kernels (the launcher unsets OPENBLAS_CORETYPE, and so does this script for the peer);
# ROBERTA_BLAS_CORETYPE=Haswell (or another core name) pins the same kernels on both sides. The
# kernels each side ran are printed with the figures. The 1-minute load average is sampled before every run and its range
# is printed with the figures: on a shared machine they mean little without it. Before timing, the peer is checked against
# ../shared/fixtures/tiny-roberta (logits, hidden states, loss, every gradient, one AdamW step).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
ROWS=${ROWS:-train,step,base,infer,finetune}
ROUNDS=${ROUNDS:-2}
STEPS=${STEPS:-3}
WARMUP=${WARMUP:-3}   # untimed steps per row on both sides: the JVM's JIT compiles during the first few
THREADS=${THREADS:-2}
POLICIES=${POLICIES:-PASSIVE ACTIVE}
FIXTURE=${FIXTURE:-$ROOT/../shared/fixtures/tiny-roberta}
[ -d "$FIXTURE" ] || FIXTURE=/work/shared/fixtures/tiny-roberta

if ! "$PY" -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  echo "vs-pytorch: skipped: the PyTorch peer needs python3-torch and libopenblas0-openmp"
  echo "  (apt-get update && apt-get install -y python3-torch libopenblas0-openmp; PYTHON=... to pick an interpreter)"
  exit 0
fi
OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/bench/torch_roberta.py" check "$FIXTURE"

OUT=$(mktemp -d /tmp/vs-pytorch.XXXXXX)
if [[ -n "${ROBERTA_BLAS_CORETYPE:-}" ]]; then
  peer_blas=(env "OPENBLAS_CORETYPE=$ROBERTA_BLAS_CORETYPE")
else
  peer_blas=(env -u OPENBLAS_CORETYPE)
fi
for policy in $POLICIES; do
  for round in $(seq 1 "$ROUNDS"); do
    cut -d' ' -f1 /proc/loadavg >> "$OUT/load"
    echo "policy $policy, round $round/$ROUNDS: engine ..." >&2
    OMP_WAIT_POLICY=$policy OMP_NUM_THREADS=$THREADS "$ROOT/roberta" bench rows --rows "$ROWS" \
      --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" 2> "$OUT/engine-err" | grep '^row ' >> "$OUT/engine-$policy"
    grep -o 'OpenBLAS [^,]*, kernels [A-Za-z0-9]*' "$OUT/engine-err" | sed 's/^/engine: /' | head -1 > "$OUT/blas-engine"
    cut -d' ' -f1 /proc/loadavg >> "$OUT/load"
    echo "policy $policy, round $round/$ROUNDS: pytorch ..." >&2
    OMP_WAIT_POLICY=$policy OMP_NUM_THREADS=$THREADS "${peer_blas[@]}" "$PY" "$ROOT/bench/torch_roberta.py" rows \
      --rows "$ROWS" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" 2>/dev/null > "$OUT/torch-out"
    grep '^row ' "$OUT/torch-out" >> "$OUT/torch-$policy"
    grep '^blas ' "$OUT/torch-out" | sed 's/^blas /PyTorch: /' | head -1 > "$OUT/blas-torch"
  done
done

"$PY" - "$OUT" "$ROWS" "$POLICIES" "$THREADS" <<'PYEOF'
import statistics, sys
out, rows, policies, threads = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(), sys.argv[4]
def load(path):
    times, units = {}, {}
    for line in open(path):
        _, name, n, ts = line.split()
        units[name] = int(n)
        times.setdefault(name, []).extend(float(t) for t in ts.split(","))
    return times, units
unit = {"finetune": "examples/s"}
print(f"\nengine vs PyTorch, {threads} threads, median s/step over all rounds (ratio > 1: engine faster)")
print(f"{'policy':8s} {'row':9s} {'engine s':>9s} {'torch s':>9s} {'engine rate':>14s} {'torch rate':>14s} {'ratio':>6s}")
for policy in policies:
    e, eu = load(f"{out}/engine-{policy}")
    t, tu = load(f"{out}/torch-{policy}")
    for row in rows:
        if row not in e or row not in t:
            print(f"{policy:8s} {row:9s} missing"); continue
        me, mt = statistics.median(e[row]), statistics.median(t[row])
        u = unit.get(row, "tokens/s")
        print(f"{policy:8s} {row:9s} {me:9.3f} {mt:9.3f} {eu[row]/me:9.0f} {u:4s} {tu[row]/mt:9.0f} {u:4s} {mt/me:5.2f}x")
loads = [float(l) for l in open(f"{out}/load")]
print(f"1-minute load average before the runs: {min(loads):.1f} to {max(loads):.1f} on {__import__('os').cpu_count()} cores")
for side in ("engine", "torch"):
    print("".join(open(f"{out}/blas-{side}")).strip() or f"{side}: BLAS kernels not reported")
print(f"(raw step times: {out})")
PYEOF
