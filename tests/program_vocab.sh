#!/usr/bin/env bash
# embedscope-cli neighbors / analogy / pca end to end on gpt2-untrained (GPT-2 shapes, seeded
# random rows, GPT-2's tokenizer), with values that follow from the definitions.
# Usage: program_vocab.sh BUILD_DIR
set -u
cli="$1/app/embedscope-cli"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then :; else fails=$((fails + 1)); printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"; fi
}
m=gpt2-untrained

# With --include-self the token itself comes first, cosine 1; without it, it never appears.
out=$("$cli" neighbors --model $m --token " king" --k 3 --include-self 2>/dev/null)
check "self first" $'1\t5822\t1.000000\t king' "$(head -1 <<<"$out")"
check "3 lines" 3 "$(wc -l <<<"$out")"
out=$("$cli" neighbors --model $m --id 5822 --k 50 2>/dev/null)
check "self excluded" 0 "$(cut -f2 <<<"$out" | grep -cx 5822)"
check "cosines decreasing" "$(cut -f3 <<<"$out")" "$(cut -f3 <<<"$out" | sort -g -r)"
check "--token and --id agree" "$out" "$("$cli" neighbors --model $m --token " king" --k 50 2>/dev/null)"

# Analogy: inputs excluded.
out=$("$cli" analogy --model $m --a " king" --b " man" --c " woman" --k 20 2>/dev/null)
check "analogy k" 20 "$(wc -l <<<"$out")"
check "analogy excludes inputs" 0 "$(cut -f2 <<<"$out" | grep -cxE '5822|582|2415')"

# Token search: every hit contains the text.
out=$("$cli" neighbors --model $m --contains "king" --k 5 2>/dev/null)
check "contains count" 5 "$(wc -l <<<"$out")"
check "contains text" 5 "$(cut -f2 <<<"$out" | grep -c king)"

# PCA: k rows of ratios, decreasing, cumulative <= 1; --out writes (k, d) components.
out=$("$cli" pca --model $m --table position --k 4 --out "$tmp/comp.csv" 2>/dev/null | grep -v '^#')
check "pca rows" 4 "$(wc -l <<<"$out")"
check "ratios decreasing" "$(cut -f3 <<<"$out")" "$(cut -f3 <<<"$out" | sort -g -r)"
check "components shape" "4 768" "$(wc -l <"$tmp/comp.csv") $(head -1 "$tmp/comp.csv" | tr ',' '\n' | wc -l)"
# Projection: one CSV row per token, k columns ("Hello world" is 2 GPT-2 tokens).
out=$("$cli" pca --model $m --table position --k 3 --project-text "Hello world" --view position 2>/dev/null)
check "projection shape" "2 3" "$(wc -l <<<"$out") $(head -1 <<<"$out" | tr ',' '\n' | wc -l)"

# Errors are one clear line.
err=$("$cli" neighbors --model $m --token "kingdom" 2>&1 >/dev/null)
check "multi-token error mentions the split" 1 "$(grep -c '"king" (3364) + "dom"' <<<"$err")"

if [ $fails -ne 0 ]; then echo "$fails checks failed"; exit 1; fi
echo "program_vocab: all checks passed"
