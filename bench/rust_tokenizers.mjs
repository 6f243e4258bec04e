// The reference figure of embedscope-bench's [tokenizer kinds]: Hugging Face's tokenizers
// library (Rust, through its Node binding, npm package `tokenizers`) encoding one text file with
// one tokenizer.json, on one thread (RAYON_NUM_THREADS=1; a single encode does not fan out).
// Prints "cold_ms warm_ms tokens": the first encode after loading, then the median of three.
//
//   node bench/rust_tokenizers.mjs TOKENIZER.json TEXT.txt     (NODE_PATH: where tokenizers is)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(process.env.NODE_PATH || '.', 'x.js'));
const { Tokenizer } = require('tokenizers');
const [file, textFile] = process.argv.slice(2);
const text = fs.readFileSync(textFile, 'utf8');
const tok = Tokenizer.fromFile(file);
const time = async () => {
  const t0 = process.hrtime.bigint();
  const e = await tok.encode(text, null, { addSpecialTokens: false });
  return [Number(process.hrtime.bigint() - t0) / 1e6, e.getIds().length];
};
const [cold, n] = await time();
const warm = [];
for (let i = 0; i < 3; ++i) warm.push((await time())[0]);
warm.sort((a, b) => a - b);
console.log(`${cold.toFixed(3)} ${warm[1].toFixed(3)} ${n}`);
