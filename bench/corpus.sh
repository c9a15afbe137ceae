#!/usr/bin/env bash
# Corpus stage benchmark (not part of CI). On the Brown corpus, Moby-Dick and the State of the
# Union addresses from ../shared/data, with a 30,000-token byte-level BPE trained by Hugging
# Face's library on the same text:
#   1. Hugging Face's Rust encoder through its Node binding (tokenizers@0.23.2), encodeBatch over
#      exactly the documents the stage tokenizes (cleaned), median of 3 runs: the baseline.
#   2. `roberta corpus` end to end (read, clean, dedupe, split, tokenize, pack, write shards) on
#      the DirectRunner and on embedded Flink, with the Java BPE and with DJL, each with the JVM's
#      default JIT and with C1 only (-XX:TieredStopAtLevel=1, less compile work for a short job).
# Prints MB/s of cleaned text for each and the ratio stage / HF (>= 1 means the whole stage is at
# least as fast as HF's batch encode alone). Then checks the Java BPE against HF (via DJL) token
# for token on every shared file with the 30k tokenizer. CPU seconds (the stage's whole JVM, start-up
# and JIT included, against HF's encode loop alone) are printed too: wall times here depend on
# whatever else the machine runs.
#   bench/corpus.sh            (from the repository root; needs node, npm and ../shared/data)
#   DJL=0 PARITY=0 bench/corpus.sh   skips the slow DJL run and the parity check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
data=${ROBERTA_DATA:-$root/../shared/data}
out=${BENCH_DIR:-/tmp/roberta-corpus-bench}
hf=${HF_NODE_DIR:-/tmp/hf}
mkdir -p "$out" "$hf"

[[ -d "$hf/node_modules/tokenizers" ]] || (cd "$hf" && npm install --silent tokenizers@0.23.2 >/dev/null)
export NODE_PATH="$hf/node_modules"
./mvnw -q -o -pl examples -am package -DskipTests
jar=examples/target/roberta.jar
java_opts=(-Xmx4g -Droberta.data="$data" --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED)

echo "== cleaned documents of TinyBrown's corpus" >&2
[[ -f "$out/texts.jsonl" ]] || java "${java_opts[@]}" -cp "$jar" io.roberta.examples.DumpCorpusText TinyBrown "$out/texts.jsonl" 2>/dev/null
echo "== 30k byte-level BPE trained by Hugging Face on them" >&2
if [[ ! -f "$out/tokenizer.json" ]]; then
  node -e 'const fs=require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1],"utf8").split("\n").filter(l=>l).map(l=>JSON.parse(l)).join("\n\n"))' \
    "$out/texts.jsonl" "$out/texts.txt"
  node pipelines/src/test/resources/corpus/make-tokenizer.js "$out/tokenizer.json" "$out/texts.txt" >&2
fi
vocab=$(node -e 'const t=require("tokenizers").Tokenizer.fromFile(process.argv[1]); console.log(t.getVocabSize(true))' "$out/tokenizer.json")

# TinyBrown with this tokenizer instead of its own trained one.
java "${java_opts[@]}" -jar "$jar" export TinyBrown --out "$out/tinybrown.json" 2>/dev/null
node -e '
const fs=require("fs"); const [f, tok, v]=process.argv.slice(1); const r=JSON.parse(fs.readFileSync(f,"utf8"));
r.name="bench-corpus"; r.tokenizer={kind:"PRETRAINED", path:tok, vocabSize:null, minFrequency:null};
r.model.vocabSize=Number(v); r.model.specialTokens.mask=Number(v)-1; fs.writeFileSync(f, JSON.stringify(r,null,1));' \
  "$out/tinybrown.json" "$out/tokenizer.json" "$vocab"

echo "== Hugging Face encodeBatch (Node binding)" >&2
hfjson=$(node bench/hf-encode.js "$out/tokenizer.json" "$out/texts.jsonl" 3)
echo "$hfjson" >&2
mb=$(node -e 'console.log((JSON.parse(process.argv[1]).bytes/1e6).toFixed(3))' "$hfjson")
hfs=$(node -e 'console.log(JSON.parse(process.argv[1]).seconds.toFixed(3))' "$hfjson")
hfcpu=$(node -e 'console.log(JSON.parse(process.argv[1]).cpuSeconds.toFixed(3))' "$hfjson")

run_stage() { # name, extra JVM options (one word, may be empty), roberta corpus options...
  local name=$1 jvm=$2; shift 2
  rm -rf "$out/work-$name"
  local TIMEFORMAT='%R %U %S'
  { time java "${java_opts[@]}" $jvm -jar "$jar" corpus "$out/tinybrown.json" --work-dir "$out/work-$name" --progress-seconds 10 "$@" \
    > "$out/$name.out" 2> "$out/$name.err" ; } 2> "$out/$name.time"
  local stage proc cpu
  stage=$(grep -o 'in [0-9.]* s end to end' "$out/$name.err" | grep -o '[0-9.]*' | head -1)
  read -r proc user sys < "$out/$name.time"
  cpu=$(echo "$user + $sys" | bc)
  printf '%-22s stage %6.1f s  %6.2f MB/s  ratio vs HF %5.2f | whole process %5.1f s, CPU %5.1f s, CPU ratio vs HF %5.2f\n' \
    "$name" "$stage" "$(echo "$mb / $stage" | bc -l)" "$(echo "$hfs / $stage" | bc -l)" "$proc" "$cpu" "$(echo "$hfcpu / $cpu" | bc -l)"
}

echo
echo "Text: $mb MB of cleaned documents ($(wc -l < "$out/texts.jsonl") documents); tokenizer: $vocab tokens; $(nproc) cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews wall times; CPU seconds less so)"
printf '%-22s encode %6.1f s  %6.2f MB/s  (median of 3; CPU %.1f s)\n' "HF encodeBatch" "$hfs" "$(echo "$mb / $hfs" | bc -l)" "$hfcpu"
# C1 only: the JIT's C2 compiler spends ~10 CPU seconds on Beam's code in a job this short.
c1=-XX:TieredStopAtLevel=1
run_stage direct-java ""
run_stage direct-java-c1 "$c1"
[[ "${DJL:-1}" == "1" ]] && run_stage direct-djl-c1 "$c1" --encoder=djl
run_stage flink-java "" --runner=FlinkRunner --flinkMaster=[local] --parallelism="$(nproc)"
run_stage flink-java-c1 "$c1" --runner=FlinkRunner --flinkMaster=[local] --parallelism="$(nproc)"
cmp <(cat "$out"/work-direct-java/bench-corpus/corpus/*/*.bin) <(cat "$out"/work-flink-java/bench-corpus/corpus/*/*.bin) \
  && echo "shards: DirectRunner and Flink wrote the same bytes"
[[ "${DJL:-1}" == "1" ]] && cmp <(cat "$out"/work-direct-java/bench-corpus/corpus/*/*.bin) <(cat "$out"/work-direct-djl-c1/bench-corpus/corpus/*/*.bin) \
  && echo "shards: the Java BPE and DJL wrote the same bytes"

if [[ "${PARITY:-1}" == "1" ]]; then
  echo "== Java BPE vs Hugging Face (DJL), every shared file, 30k tokenizer" >&2
  ./mvnw -q -o -pl pipelines -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=ByteLevelBpeTest \
    -Dcorpus.parity=full -Dcorpus.parity.tokenizer="$out/tokenizer.json" -Droberta.data="$data" >/dev/null \
    && echo "parity: same ids on every file of $data"
fi
