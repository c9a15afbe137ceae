// Helper for tokenizer-vs-hf.sh (not part of CI). Subcommands:
//   split <outDir>                 held-out split of ../shared/data: every 20th document held out
//   train-hf <trainDir> <outJson>  HF's default BPE trainer (vocab 30,000, no min frequency) with the
//                                  ByteLevel pre-tokenizer (no prefix space, GPT-2 regex); prints seconds
//   compress <heldoutDir> <tokenizer.json>...  tokens per 1,000 bytes of held-out text (no specials)
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const [cmd, ...args] = process.argv.slice(2);

function listFiles(dir) {
  return fs.readdirSync(dir).sort().map((f) => path.join(dir, f));
}

if (cmd === 'split') {
  const [data, out] = args;
  const docs = [];
  for (const f of listFiles(path.join(data, 'brown'))) {
    if (/\/c[a-r]\d\d$/.test(f)) docs.push(['brown_' + path.basename(f), fs.readFileSync(f)]);
  }
  for (const f of listFiles(path.join(data, 'moby-dick'))) {
    if (f.endsWith('.txt')) docs.push(['moby_' + path.basename(f), fs.readFileSync(f)]);
  }
  for (const f of listFiles(path.join(data, 'sotu'))) {
    if (f.endsWith('.json')) {
      docs.push(['sotu_' + path.basename(f, '.json') + '.txt', Buffer.from(JSON.parse(fs.readFileSync(f, 'utf8')).text, 'utf8')]);
    }
  }
  let train = 0, held = 0;
  for (const sub of ['train', 'heldout']) fs.mkdirSync(path.join(out, sub), { recursive: true });
  docs.forEach(([name, bytes], i) => {
    const sub = i % 20 === 0 ? 'heldout' : 'train';
    fs.writeFileSync(path.join(out, sub, name), bytes);
    if (sub === 'train') train += bytes.length; else held += bytes.length;
  });
  console.log(`corpus: ${docs.length} documents; train ${(train / 1e6).toFixed(1)} MB, held out ${(held / 1e6).toFixed(2)} MB`);
} else if (cmd === 'train-hf') {
  const [trainDir, outJson] = args;
  const t = new tk.Tokenizer(tk.BPE.empty());
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  const files = listFiles(trainDir);
  const start = process.hrtime.bigint();
  t.train(files);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  t.save(outJson);
  // The Node binding has no ByteLevel decoder factory; add the one roberta-base ships, so that
  // decoding HF's ids gives text back as ours does.
  const json = JSON.parse(fs.readFileSync(outJson, 'utf8'));
  json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  fs.writeFileSync(outJson, JSON.stringify(json));
  console.log(seconds.toFixed(2));
} else if (cmd === 'compress') {
  const [heldout, ...tokenizers] = args;
  const files = listFiles(heldout);
  (async () => {
    for (const json of tokenizers) {
      const t = tk.Tokenizer.fromFile(json);
      let tokens = 0, bytes = 0, exact = 0;
      for (const f of files) {
        const text = fs.readFileSync(f, 'utf8');
        const e = await t.encode(text, null, { addSpecialTokens: false });
        tokens += e.getLength();
        bytes += Buffer.byteLength(text, 'utf8');
        if ((await t.decode(e.getIds(), true)) === text) exact++;
      }
      console.log(`${json}\t${(1000 * tokens / bytes).toFixed(2)}\t${tokens}\t${bytes}\t${exact}/${files.length}\t${t.getVocabSize(true)}`);
    }
  })();
} else if (cmd === 'overlap') {
  // Share of one tokenizer's learned tokens (merges) that the other also learned.
  const [a, b] = args.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).model);
  const merged = (m) => new Set((m.merges || []).map((x) => (Array.isArray(x) ? x.join('') : x.replace(' ', ''))));
  const ma = merged(a), mb = merged(b);
  let both = 0;
  for (const t of ma) if (mb.has(t)) both++;
  console.log(`${(100 * both / ma.size).toFixed(1)}\t${(100 * both / mb.size).toFixed(1)}\t${ma.size}\t${mb.size}`);
} else {
  console.error('usage: split|train-hf|compress|overlap');
  process.exit(2);
}
