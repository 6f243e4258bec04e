#!/usr/bin/env bash
# Hostile inputs: embedscope-cli on the generated corpus of broken files, tokenizer folders and
# odd texts (tests/hostile/make_corpus.py). Every case must end within 20 s with either one
# clear line on stderr and a non-zero status, or success where the input is legitimate.
set -euo pipefail
build="$1"
src="${ES_SOURCE_DIR:?ES_SOURCE_DIR is set by CTest}"
work="$build/hostile-corpus"
rm -rf "$work"
exec /usr/bin/python3 "$src/tests/hostile/run_hostile.py" "$build/app/embedscope-cli" "$work" --timeout 20
