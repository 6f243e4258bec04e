// Step 2 of the fixtures (see make_fixtures.py): the ids @huggingface/tokenizers (the
// tokenizer.json reader of transformers.js, written independently of EmbedScope) gives for
// every tokenizer.json here and every case of cases.json, without and with the model's special
// tokens, and its decoding. Written to hf_reference.json.
//
//   mkdir -p /tmp/hftok && cd /tmp/hftok && npm init -y >/dev/null &&
//     npm install --ignore-scripts @huggingface/tokenizers@0.2.0
//   NODE_PATH=/tmp/hftok/node_modules node tests/data/hf_tokenizers/make_fixtures.mjs
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const { Tokenizer } = require('@huggingface/tokenizers');

const cases = JSON.parse(fs.readFileSync(path.join(here, 'cases.json'), 'utf8'))
  .map((c) => Buffer.from(c.text_b64, 'base64').toString('utf8'));
const out = {};
for (const dir of ['llama', 'mistral', 't5', 'bert', 'bert_cased', 'qwen2']) {
  const json = JSON.parse(fs.readFileSync(path.join(here, dir, 'tokenizer.json'), 'utf8'));
  const tok = new Tokenizer(json, {});
  out[dir + '/tokenizer.json'] = cases.map((text) => {
    const ids = tok.encode(text, { add_special_tokens: false }).ids;
    const special = tok.encode(text, { add_special_tokens: true }).ids;
    return { ids, ids_special: special,
             decoded_b64: Buffer.from(ids.length ? tok.decode(ids, { skip_special_tokens: false }) : '', 'utf8').toString('base64') };
  });
}
fs.writeFileSync(path.join(here, 'hf_reference.json'), JSON.stringify(out, null, 1) + '\n');
