// Reference outputs from Hugging Face tokenizers' own Node binding, for BpeTrainerTest and
// ByteLevelPreTokenizerTest:
//   cd /tmp/hf && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/hf/node_modules node make-reference.js
// pretokenized.json: HF's ByteLevel pre-tokenizer (no prefix space, GPT-2 regex) on tricky text.
// hf-merges-moby-dick-chapter_1.txt: the merges HF's BpeTrainer learns from
//   ../corpus/moby-dick/chapter_1.txt (HF reads the file line by line; vocab 30,000, no minimum
//   frequency, no special tokens: the default trainer), one "a b" per line.
const fs = require('fs');
const path = require('path');
const os = require('os');
const tk = require('tokenizers');

const here = __dirname;
const pre = tk.byteLevelPreTokenizer(false, true);
const samples = [
  "Hello  world! I'm here, you're there; they'LL go. It's 'sa 're",
  'Prices: 12,345.67 and 3rd place 1990s ½ Ⅻ ٣٤',
  'naïve café 東京 Ελληνικά русский e\u0301 ﬁne',
  'whale 🐳🐋 ship 👩‍👩‍👧 done',
  'tabs\tand\nnew\r\nlines\u000b\u000c end',
  '   leading and trailing   ',
  'nbsp\u00a0x ideographic\u3000y nel\u0085z thin\u2009w line\u2028sep',
  'ctrl\u0001\u0002chars\u0000nul \u007f del',
  '--- ... !!! ?? "quoted" (paren) [bracket] {brace} <tag>',
  "x  'll  ' s '",
  '\n\n\nparagraph\n\n',
  ' a',
  'a ',
  ' ',
];
const out = samples.map((s) => ({ text: s, tokens: pre.preTokenizeString(s).map(([t]) => t) }));
fs.writeFileSync(path.join(here, 'pretokenized.json'), JSON.stringify(out, null, 1) + '\n');

const t = new tk.Tokenizer(tk.BPE.empty());
t.setPreTokenizer(pre);
t.train([path.join(here, '..', 'corpus', 'moby-dick', 'chapter_1.txt')]);
const tmp = path.join(os.tmpdir(), 'hf-ref-' + process.pid + '.json');
t.save(tmp);
const json = JSON.parse(fs.readFileSync(tmp, 'utf8'));
const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
fs.writeFileSync(path.join(here, 'hf-merges-moby-dick-chapter_1.txt'), merges.join('\n') + '\n');
console.log('merges:', merges.length, 'vocab:', Object.keys(json.model.vocab).length);
