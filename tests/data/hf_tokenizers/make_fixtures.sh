#!/usr/bin/env bash
# Remakes every fixture of tests/data/hf_tokenizers: make_fixtures.py (Debian's python3 with
# python3-sentencepiece) and then make_fixtures.mjs (node with @huggingface/tokenizers@0.2.0,
# installed outside the repository with --ignore-scripts). Tests never run this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
/usr/bin/python3 "$here/make_fixtures.py"
ref="${HFTOK_DIR:-/tmp/hftok}"
if [ ! -d "$ref/node_modules/@huggingface/tokenizers" ]; then
  mkdir -p "$ref" && (cd "$ref" && npm init -y >/dev/null && npm install --silent --ignore-scripts @huggingface/tokenizers@0.2.0)
fi
NODE_PATH="$ref/node_modules" node "$here/make_fixtures.mjs"
