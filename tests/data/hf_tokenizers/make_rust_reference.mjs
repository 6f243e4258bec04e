// The ids Hugging Face's tokenizers library itself (the Rust implementation, through its native
// Node binding, npm package `tokenizers`) gives for every tokenizer.json here, on the cases of
// cases.json, hostile text (control characters, noncharacters, U+2581, bidi marks, lone
// combining marks, long runs) and every added token written inside text. Written to
// rust_reference.json: per file, the cases as base64 with their ids without and with the
// model's special tokens. test_tokenizer_conformance.cpp reads it; tests never need node.
//
// "Without" is EmbedScope's plain mode: special tokens written in the text are read as text
// (the Rust library's encode_special_tokens; its Node binding has no switch for it, so the
// reference makes the special entries of added_tokens unmatchable), non-special added tokens still match,
// and nothing is added around the text. "With" (--special) is the library's default:
// special tokens in the text match, and the post-processor adds the model's own.
//
//   mkdir -p /tmp/hfrust && cd /tmp/hfrust && npm init -y >/dev/null &&
//     npm install --ignore-scripts tokenizers@0.23.2
//   NODE_PATH=/tmp/hfrust/node_modules node tests/data/hf_tokenizers/make_rust_reference.mjs
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const { Tokenizer } = require('tokenizers');

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const base = JSON.parse(fs.readFileSync(path.join(here, 'cases.json'), 'utf8'))
  .map((c) => Buffer.from(c.text_b64, 'base64').toString('utf8'));
const hostile = [
  'a\u000bb', 'a\u000cb', 'a\u0000b', 'a\u001fb', 'a\u007fb', 'a\u0085b', 'a\u00adb', 'x\uffffy', 'x\u{10ffff}y',
  'x\ufeffy', 'zero\u200bwidth', 'bidi \u202eevil\u202c marks \u200f', '\u0301 lone combining', 'e\u0301\u0301\u0301',
  '\u2581ma \u2581\u2581', 'tab\ttab', '\r\n\r\n', ' \n \n ', '\u3000ideographic space', 'non\u00a0breaking',
  'nhiều người Việt', 'Hello world...', ' 1234567 89', "it's they'RE we'LL", 'Tschüß Straße ǅemal',
  '\u{1F44B}\u{1F3FD} skin tone, \u{1F468}\u200d\u{1F469}\u200d\u{1F467} family', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math', 'ﷺ ligature',
  'مرحبا بالعالم', 'नमस्ते दुनिया', 'Привет мир', '東京 tokyo 123東京', 'abc'.repeat(200), ' '.repeat(50) + 'x',
  '!!!???...,,,', 'line end   \nnext line  \n  \nlast   ', 'a \n', '\n\n  x  \n', 'a'.repeat(120) + ' word', 'CamelCaseWordsAndHTTPServer', 'x'.repeat(3) + '\n'.repeat(5) + 'y',
];
const dirs = fs.readdirSync(here).filter((d) => fs.existsSync(path.join(here, d, 'tokenizer.json'))).sort();
const out = { library: 'tokenizers (Rust, Node binding) 0.23.2', files: {} };
for (const dir of dirs) {
  const file = path.join(here, dir, 'tokenizer.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const tok = Tokenizer.fromFile(file);
  const asText = JSON.parse(JSON.stringify(json));
  // The library numbers added tokens that are not in the model's vocabulary by their place in
  // the list: a special one there is made unmatchable where it stands; one the vocabulary holds
  // keeps its id without the entry, which is dropped.
  const v = asText.model.vocab;
  const inVocab = (c) => (Array.isArray(v) ? v.some((p) => p[0] === c) : Object.prototype.hasOwnProperty.call(v, c));
  asText.added_tokens = (asText.added_tokens || []).filter((a) => !(a.special && inVocab(a.content)));
  for (const a of asText.added_tokens) if (a.special) a.content = '\u0000\u0001never ' + a.content + '\u0001\u0000';
  const plainTok = Tokenizer.fromString(JSON.stringify(asText));
  const texts = [...base, ...hostile];
  // Every added token inside text (a sample of long lists: the first 40, every 37th, the last 10).
  const addedTokens = json.added_tokens || [];
  addedTokens.forEach((a, i) => {
    if (i < 40 || i % 37 === 0 || i >= addedTokens.length - 10) {
      texts.push(a.content, 'x' + a.content + 'y', 'say ' + a.content + ' now', a.content + a.content + ' ' + a.content);
    }
  });
  const cases = [];
  for (const text of texts) {
    const plain = await plainTok.encode(text, null, { addSpecialTokens: false });
    const special = await tok.encode(text, null, { addSpecialTokens: true });
    // The library's decoders on the ids with special tokens (kept, not skipped).
    const decoded = await tok.decode(special.getIds(), false);
    cases.push({ text_b64: b64(text), ids: plain.getIds(), ids_special: special.getIds(), decoded_b64: b64(decoded) });
  }
  out.files[dir + '/tokenizer.json'] = cases;
}
fs.writeFileSync(path.join(here, 'rust_reference.json'), JSON.stringify(out) + '\n');
console.log('rust_reference.json:', Object.keys(out.files).length, 'files');
