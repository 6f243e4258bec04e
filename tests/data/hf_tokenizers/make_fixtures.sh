#!/usr/bin/env bash
# Remakes every fixture of tests/data/hf_tokenizers:
#   1. make_fixtures.py (Debian's python3 with python3-sentencepiece): the small trained
#      vocabularies and a tokenizer.json of every kind Hugging Face writes;
#   2. make_released_like.py: tokenizer.json files built the way released ones are (LLaMA 3,
#      DeepSeek V3, gpt-4o, gpt-3.5, Gemma 3, BERT variants);
#   3. make_fixtures.mjs (node with @huggingface/tokenizers@0.2.0): hf_reference.json;
#   4. make_rust_reference.mjs (node with tokenizers@0.23.2, Hugging Face's Rust library through
#      its native binding): rust_reference.json.
# The npm packages are installed outside the repository with --ignore-scripts. Tests never run this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
/usr/bin/python3 "$here/make_fixtures.py"
/usr/bin/python3 "$here/make_released_like.py"
ref="${HFTOK_DIR:-/tmp/hftok}"
if [ ! -d "$ref/node_modules/@huggingface/tokenizers" ]; then
  mkdir -p "$ref" && (cd "$ref" && npm init -y >/dev/null && npm install --silent --ignore-scripts @huggingface/tokenizers@0.2.0)
fi
NODE_PATH="$ref/node_modules" node "$here/make_fixtures.mjs"
rust="${HFRUST_DIR:-/tmp/hfrust}"
if [ ! -d "$rust/node_modules/tokenizers" ]; then
  mkdir -p "$rust" && (cd "$rust" && npm init -y >/dev/null && npm install --silent --ignore-scripts tokenizers@0.23.2)
fi
NODE_PATH="$rust/node_modules" node "$here/make_rust_reference.mjs"
