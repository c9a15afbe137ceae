// Generates the pretrained-tokenizer fixtures in this folder with Hugging Face tokenizers' own
// Node binding, so that the engine's loader is tested against files the reference library wrote.
//   cd /tmp/hf && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/hf/node_modules node make-fixtures.js
// Writes hf-bpe/tokenizer.json (byte-level BPE as RoBERTa's) and hf-unigram/tokenizer.json
// (Unigram with Metaspace, as XLM-R's), both trained on moby-dick-chapter_1.txt.
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const here = __dirname;
const text = path.join(here, 'moby-dick-chapter_1.txt');

function write(dir, json) {
  fs.mkdirSync(path.join(here, dir), { recursive: true });
  fs.writeFileSync(path.join(here, dir, 'tokenizer.json'), JSON.stringify(json, null, 1) + '\n');
}

// Byte-level BPE, RoBERTa style.
{
  const t = new tk.Tokenizer(tk.BPE.empty());
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  t.train([text]);
  const tmp = path.join(require('os').tmpdir(), 'bpe-' + process.pid + '.json');
  t.save(tmp);
  const json = JSON.parse(fs.readFileSync(tmp, 'utf8'));
  // Shift the trained ids up by 4 and put the RoBERTa specials first and <mask> last.
  const vocab = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  for (const [tok, id] of Object.entries(json.model.vocab)) vocab[tok] = id + 4;
  const mask = Object.keys(vocab).length;
  vocab['<mask>'] = mask;
  json.model.vocab = vocab;
  const special = (id, content) => ({ id, content, single_word: false, lstrip: content === '<mask>',
    rstrip: false, normalized: false, special: true });
  json.added_tokens = [special(0, '<s>'), special(1, '<pad>'), special(2, '</s>'), special(3, '<unk>'),
    special(mask, '<mask>')];
  // The Node binding has no ByteLevel decoder factory; this is the one roberta-base ships.
  json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  json.post_processor = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0],
    trim_offsets: true, add_prefix_space: false };
  write('hf-bpe', json);
  tk.Tokenizer.fromFile(path.join(here, 'hf-bpe', 'tokenizer.json')); // must load
}

// Unigram with Metaspace, XLM-R style.
{
  const t = new tk.Tokenizer(tk.Unigram.empty());
  t.setPreTokenizer(tk.metaspacePreTokenizer());
  t.setDecoder(tk.metaspaceDecoder());
  t.train([text]);
  const tmp = path.join(require('os').tmpdir(), 'unigram-' + process.pid + '.json');
  t.save(tmp);
  const json = JSON.parse(fs.readFileSync(tmp, 'utf8'));
  const specials = [['<s>', 0.0], ['<pad>', 0.0], ['</s>', 0.0], ['<unk>', 0.0]];
  const pieces = json.model.vocab.filter(([p]) => !specials.some(([s]) => s === p));
  json.model.vocab = specials.concat(pieces).concat([['<mask>', 0.0]]);
  json.model.unk_id = 3;
  const mask = json.model.vocab.length - 1;
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false,
    rstrip: false, normalized: false, special: true });
  json.added_tokens = [special(0, '<s>'), special(1, '<pad>'), special(2, '</s>'), special(3, '<unk>'),
    special(mask, '<mask>')];
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '</s>', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '</s>', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } },
      { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
    special_tokens: {
      '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
      '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
    },
  };
  write('hf-unigram', json);
  tk.Tokenizer.fromFile(path.join(here, 'hf-unigram', 'tokenizer.json')); // must load
}

// Expected encodings from the reference library, for the Java tests to compare against.
(async () => {
  const samples = ['Call me Ishmael.', 'Some years ago—never mind how long precisely', 'whale 🐳 ship'];
  const expected = {};
  for (const dir of ['hf-bpe', 'hf-unigram']) {
    const t = tk.Tokenizer.fromFile(path.join(here, dir, 'tokenizer.json'));
    expected[dir] = [];
    for (const s of samples) {
      const e = await t.encode(s);
      expected[dir].push({ text: s, ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets(),
        decoded: await t.decode(e.getIds(), true) });
    }
  }
  fs.writeFileSync(path.join(here, 'expected-encodings.json'), JSON.stringify(expected, null, 1) + '\n');
})();
