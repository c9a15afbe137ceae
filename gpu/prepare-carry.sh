#!/bin/bash
# Run HERE (no GPU needed) before the device call: builds .gpu/ with a small JRE, the JavaCPP CUDA
# jars, the engine and engine-cuda jars with their few dependencies (no ND4J, no Beam), the HF
# fixture and the ND4J reference curve, then runs the whole check on the dry device as a smoke test.
# Usage: gpu/prepare-carry.sh   (from the project root; .gpu/ is git-ignored)
set -euo pipefail
cd "$(dirname "$0")/.."
../shared/gpu/make-carry.sh .gpu
./mvnw -B -o -q -pl engine,engine-cuda -am -DskipTests package
cp model-spec/target/model-spec-*.jar engine/target/engine-*.jar engine-cuda/target/engine-cuda-*.jar .gpu/lib/
./mvnw -B -o -q -pl engine-cuda dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=runtime \
  >/dev/null 2>&1 || true
# engine-cuda resolves engine from the reactor only with -am; take the third-party jars by name
for jar in $(tr ':' '\n' < engine-cuda/target/cp.txt | grep -E '/(jackson-[a-z]+|guava|failureaccess)-[0-9.]+(-jre)?\.jar$'); do
  cp "$jar" .gpu/lib/
done
rm -f .gpu/lib/engine-*-tests.jar
mkdir -p .gpu/data
cp -r engine/src/test/resources/tiny-roberta .gpu/data/
cp engine-cuda/src/test/resources/nd4j-tiny-curve.txt .gpu/data/
cp gpu/run-gpu-checks.sh gpu/run-gpu-window.sh gpu/hf_baseline.py gpu/make_parity_fixture.py .gpu/
# smoke test on this machine: the same program on the dry device, with the carried class path
java -cp ".gpu/lib/*" io.roberta.engine.cuda.check.GpuChecks .gpu/data/tiny-roberta .gpu/data/nd4j-tiny-curve.txt \
  target/gpu-dry 1 --dry | tail -3
du -sh .gpu; ls .gpu/lib
