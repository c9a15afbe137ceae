// Writes a RoBERTa-style byte-level BPE tokenizer.json trained with Hugging Face tokenizers' own
// Node binding:
//   cd /tmp/hf && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/hf/node_modules node make-tokenizer.js OUT.json TEXT_FILE...
// The binding's trainer has the library defaults (vocabulary up to 30,000, no minimum frequency);
// the 256 byte symbols are added to the vocabulary when training did not see them, so that every
// input has an encoding. The test fixture tokenizer.json here was made from
// ../shared/data/moby-dick/chapter_{1,2,3}.txt; bench/corpus.sh makes a 30,000-token one from
// the whole shared corpus.
const fs = require('fs');
const os = require('os');
const path = require('path');
const tk = require('tokenizers');

const [out, ...files] = process.argv.slice(2);
const t = new tk.Tokenizer(tk.BPE.empty());
t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
t.train(files);
const tmp = path.join(os.tmpdir(), 'bpe-' + process.pid + '.json');
t.save(tmp);
const json = JSON.parse(fs.readFileSync(tmp, 'utf8'));
fs.unlinkSync(tmp);
// RoBERTa layout: <s>, <pad>, </s>, <unk> first, the trained ids shifted by 4, <mask> last.
const vocab = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
for (const [tok, id] of Object.entries(json.model.vocab)) vocab[tok] = id + 4;
for (const c of tk.byteLevelAlphabet()) if (!(c in vocab)) vocab[c] = Object.keys(vocab).length;
const mask = Object.keys(vocab).length;
vocab['<mask>'] = mask;
json.model.vocab = vocab;
const special = (id, content) => ({ id, content, single_word: false, lstrip: content === '<mask>',
  rstrip: false, normalized: false, special: true });
json.added_tokens = [special(0, '<s>'), special(1, '<pad>'), special(2, '</s>'), special(3, '<unk>'),
  special(mask, '<mask>')];
json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
json.post_processor = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0],
  trim_offsets: true, add_prefix_space: false };
fs.writeFileSync(out, JSON.stringify(json) + '\n');
tk.Tokenizer.fromFile(out); // must load
console.log(out + ': ' + (mask + 1) + ' tokens, ' + json.model.merges.length + ' merges');
