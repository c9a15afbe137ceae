// Hugging Face's own Rust encoder through its Node binding: encodeBatch over the documents in
// TEXTS.jsonl (one JSON string per line), as bench/corpus.sh feeds it. Prints one JSON line.
//   NODE_PATH=/tmp/hf/node_modules node hf-encode.js tokenizer.json texts.jsonl [repeats]
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

(async () => {
  const [tokFile, textsFile, repeatsArg] = process.argv.slice(2);
  const texts = fs.readFileSync(textsFile, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, 'utf8'), 0);
  const tokenizer = Tokenizer.fromFile(tokFile);
  const batch = 256;
  const times = [];
  const cpus = [];
  let tokens = 0;
  for (let r = 0; r < Number(repeatsArg || 3); r++) {
    tokens = 0;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < texts.length; i += batch) {
      const encodings = await tokenizer.encodeBatch(texts.slice(i, i + batch));
      for (const e of encodings) tokens += e.getIds().length;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpu); // all threads of the process, the Rust pool included
    cpus.push((used.user + used.system) / 1e6);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const seconds = median(times);
  console.log(JSON.stringify({ documents: texts.length, bytes, tokens, seconds, cpuSeconds: median(cpus),
    mbPerSecond: bytes / 1e6 / seconds }));
})();
