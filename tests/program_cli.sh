#!/usr/bin/env bash
# embedscope-cli end to end: values from shared FACTS.md, formats, and errors.
# Usage: program_cli.sh BUILD_DIR
set -u
cli="$1/app/embedscope-cli"
fails=0
passes=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then passes=$((passes + 1)); else
    fails=$((fails + 1)); printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3"; fi
}
expect_error() {  # expect_error NAME PATTERN ARGS...: non-zero exit, one line on stderr matching
  local name=$1 pattern=$2; shift 2
  local err rc
  err=$("$cli" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && grep -qiE -- "$pattern" <<<"$err"; then
    passes=$((passes + 1))
  else
    fails=$((fails + 1)); printf 'FAIL %s: rc=%s stderr=%q\n' "$name" "$rc" "$err"
  fi
}
near() {  # near A B TOL -> "ok" when |A - B| <= TOL
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= t) ? "ok" : "off: " a " vs " b }'
}

# tokens: GPT-2 ids of FACTS.md section 5
out=$("$cli" tokens --text "The cat sat on the mat")
check "tokens ids" "464 3797 3332 319 262 2603" "$(cut -f2 <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
check "tokens text column" $'0\t464\tThe' "$(head -1 <<<"$out")"
check "endoftext special" "50256" "$("$cli" tokens --special --text '<|endoftext|>' | cut -f2)"
check "endoftext as text: < | end of text | >" "7" "$("$cli" tokens --text '<|endoftext|>' | wc -l | tr -d ' ')"
check "newline escaped" '\n' "$("$cli" tokens --text $'a\nb' | sed -n 2p | cut -f3)"
check "classroom tokens" "1 2 3 4 1 6" "$("$cli" tokens --tokenizer classroom --text 'the cat sat on the mat' | cut -f2 | tr '\n' ' ' | sed 's/ $//')"

# schemes
check "t5 bidirectional -32" "12" "$("$cli" t5-bucket --rel -32)"
check "t5 causal -100" "30" "$("$cli" t5-bucket --rel -100 --causal)"
check "t5 bidirectional 127" "31" "$("$cli" t5-bucket --rel 127)"
check "alibi log2 H=6" "-2 -4 -6 -8 -1 -3" "$("$cli" alibi-slopes --heads 6 --log2 | tr '\n' ' ' | sed 's/ $//')"
check "alibi log2 H=12 tail" "-3.5" "$("$cli" alibi-slopes --heads 12 --log2 | tail -1)"
row=$("$cli" positions --scheme sinusoidal --n 6 --dim 8 | sed -n 6p)
check "sinusoidal pos 5 col 0" ok "$(near "$(cut -d, -f1 <<<"$row")" -0.958924 1e-6)"
check "sinusoidal pos 5 col 5" ok "$(near "$(cut -d, -f6 <<<"$row")" 0.99875 1e-6)"
check "sinusoidal 8 columns" "8" "$(awk -F, '{print NF}' <<<"$row")"
s=$("$cli" interaction --scheme alibi --n 3 --heads 8 --head 1)
check "alibi S row 0" "0,nan,nan" "$(head -1 <<<"$s")"
check "alibi S row 2" "-1,-0.5,0" "$(tail -1 <<<"$s")"
s=$("$cli" interaction --scheme t5 --n 3)
check "t5 S row 0 = buckets of 0, +1, +2" "0,17,18" "$(head -1 <<<"$s")"
s=$("$cli" interaction --scheme rope --n 5 --dim 64 | sed -n 5p | cut -d, -f1)
s2=$("$cli" interaction --scheme rope --n 9 --dim 64 | sed -n 9p | cut -d, -f5)
check "rope S depends on i - j only" "$s" "$s2"
check "counts total V=8 L=6 d=4" $'total\t\t64' "$("$cli" counts --vocab 8 --max-len 6 --dim 4 | grep '^total')"
check "counts tying GPT-2" "38597376" "$("$cli" counts --vocab 50257 --max-len 1024 --dim 768 --tied | grep tying | cut -f3)"

# embed: shapes, views, formats
emb=$("$cli" embed --text "the cat sat on the mat" --view combined)
check "embed rows" "6" "$(wc -l <<<"$emb" | tr -d ' ')"
check "embed cols" "4" "$(head -1 <<<"$emb" | awk -F, '{print NF}')"
tok=$("$cli" embed --text "the cat sat on the mat" --view token)
check "equal tokens, equal token rows" "$(sed -n 1p <<<"$tok")" "$(sed -n 5p <<<"$tok")"
[ "$(sed -n 1p <<<"$emb")" != "$(sed -n 5p <<<"$emb")" ] && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL combined rows of equal tokens should differ"; }
rope=$("$cli" embed --text "the cat sat on the mat" --scheme rope --view combined)
check "rope adds nothing: combined rows equal" "$(sed -n 1p <<<"$rope")" "$(sed -n 5p <<<"$rope")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$cli" embed --text "the cat" --view token --format npy --out "$tmp/t.npy"
check "npy magic" "NUMPY" "$(head -c 6 "$tmp/t.npy" | tail -c 5)"
check "npy size" "$((128 + 2 * 4 * 4))" "$(stat -c %s "$tmp/t.npy")"
"$cli" embed --text "the cat" --format json --out "$tmp/t.json"
grep -q '"rows": 2, "cols": 4' "$tmp/t.json" && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL json header"; }
rep=$("$cli" repeats --text "the cat sat on the mat")
check "repeats header" "token" "$(head -1 <<<"$rep" | cut -f1)"
check "repeats pair" $'the\t1\t0\t4\t0\t1' "$(sed -n 2p <<<"$rep" | cut -f1-6)"
check "no repeats" "no repeated tokens in this text" "$("$cli" repeats --text "the cat")"
check "normed view rows" "2" "$("$cli" embed --text "the cat" --view normed | wc -l | tr -d ' ')"

# errors: non-zero exit and one clear line on stderr
expect_error "unknown command" "unknown command" frobnicate
expect_error "unknown option" "does not take --colour" embed --text "the" --colour red
expect_error "past L_max" "7 tokens" embed --text "the cat sat on the mat today"
expect_error "learned without model" "learned positions need" positions --scheme learned --n 3 --dim 4
expect_error "rope adds no rows" "adds no rows" positions --scheme rope --n 3 --dim 4
expect_error "bad scheme" "unknown scheme" interaction --scheme wavy --n 3
expect_error "bad number" "whole number" interaction --scheme rope --n three
expect_error "empty text" "no tokens" embed --text ""
expect_error "missing model" "not a model: no such file or folder" embed --text "the" --model /nonexistent/model.safetensors
expect_error "unknown hub name" "Hugging Face cache" info nobody/nothing-here
expect_error "too long for classroom: says what to do" "classroom:L=16.*gpt2-untrained.*without a table" embed --text "the cat sat on the mat and the dog"
expect_error "head out of range" "head shown" interaction --scheme alibi --n 3 --heads 4 --head 5
expect_error "attention without weights" "no block-0 attention" attention --text "the cat sat on the mat"
check "scheme help lists transformer-xl" "1" "$("$cli" --help | grep -c "^  transformer-xl")"
check "repeats: alibi constant shift" "0" "$("$cli" repeats --text "cat the sat on the mat" --scheme alibi --heads 8 --head 2 2>/dev/null | sed -n 2p | cut -f11)"
expect_error "bad format" "csv, json or npy" embed --text the --format xml
expect_error "unwritable out" "cannot write" embed --text the --out /nonexistent-dir/x.csv

# training lab: train, save, evaluate, open in the viewer
lab=$(mktemp -d)
trap 'rm -rf "$lab"' EXIT
"$cli" train --data toy --scheme learned --layers 1 --dim 16 --heads 2 --context 16 --batch 4 --steps 5 \
  --threads 1 --out "$lab/toy" --log "$lab/log.csv" >/dev/null 2>&1
check "train writes a checkpoint" "config.json embedscope_words.txt model.safetensors train_log.csv" "$(ls "$lab/toy" | tr '\n' ' ' | sed 's/ $//')"
check "train log rows" "6" "$(wc -l <"$lab/log.csv" | tr -d ' ')"
check "evaluate prints a loss" "ok" "$("$cli" evaluate --model "$lab/toy" --data toy 2>/dev/null | awk '{ print ($1 > 0.5 && $1 < 6) ? "ok" : $1 }')"
check "trained model opens with its scheme" "learned" "$("$cli" info "$lab/toy" | awk -F'\t' '$1 == "scheme" { print $2 }')"
expect_error "learned table too short" "learned position table has 16 rows" evaluate --model "$lab/toy" --data toy --context 32
"$cli" train --data sort --scheme alibi --layers 1 --dim 8 --heads 2 --context 8 --batch 2 --steps 0 --out "$lab/sort" >/dev/null 2>&1
check "steps 0 saves the initial weights; alibi runs longer" "ok" "$("$cli" evaluate --model "$lab/sort" --data sort --context 64 2>/dev/null | awk '{ print ($1 > 5 && $1 < 6) ? "ok" : $1 }')"
expect_error "train: unknown scheme" "unknown scheme" train --data toy --scheme wavy --out "$lab/x"
expect_error "train: missing file" "no such file" train --data "$lab/none.txt" --scheme rope --out "$lab/x"
expect_error "train: bad optimizer" "adamw or sgd" train --data toy --scheme rope --optimizer adam --out "$lab/x"
expect_error "train: odd rope head" "must be even" train --data toy --scheme rope --dim 6 --heads 2 --out "$lab/x"
expect_error "interaction: an option the scheme lacks" "not an option of the alibi scheme" interaction --scheme alibi --pairs half --n 3
expect_error "interaction: t5 has no rotary share" "not an option of the t5" interaction --scheme t5 --rotary-fraction 0.5 --n 3
expect_error "interaction: alibi is causal only" "causal by construction" interaction --scheme alibi --bidirectional --n 3
check "interaction: --causal is accepted for a causal-only scheme" "0" "$("$cli" interaction --scheme alibi --causal --n 3 >/dev/null 2>&1; echo $?)"
expect_error "evaluate: not a lab folder" "no such folder" evaluate --model "$lab/nothing" --data toy
# Every scheme trains, saves its settings, opens with its scheme and runs past its training length.
for s in transformer-xl deberta xpos kerple fire; do
  "$cli" train --data sort --scheme "$s" --layers 1 --dim 8 --heads 2 --context 8 --batch 2 --steps 2 --threads 1 \
    --out "$lab/$s" >/dev/null 2>&1
  check "train $s, evaluate at twice its length" "ok" \
    "$("$cli" evaluate --model "$lab/$s" --data sort --context 16 2>/dev/null | awk '{ print ($1 > 0 && $1 < 10) ? "ok" : $1 }')"
  check "$s checkpoint opens with its scheme" "$s" "$("$cli" info "$lab/$s" | awk -F'\t' '$1 == "scheme" { print $2 }')"
done
"$cli" train --data sort --scheme xpos --scale-base 64 --layers 1 --dim 8 --heads 2 --context 8 --batch 2 --steps 0 \
  --out "$lab/xpos64" >/dev/null 2>&1
check "a scheme's setting is saved with it" "64" \
  "$(grep -o '"scale-base": *[0-9.]*' "$lab/xpos64/config.json" | grep -o '[0-9][0-9.]*$' | sed 's/\.0*$//')"
"$cli" train --data sort --scheme rope --layers 1 --dim 16 --heads 2 --context 8 --batch 4 --steps 60 --lr 1e-2 \
  --threads 1 --out "$lab/rope" >/dev/null 2>&1
plain=$("$cli" evaluate --model "$lab/rope" --data sort --context 32 2>/dev/null)
yarn=$("$cli" evaluate --model "$lab/rope" --data sort --context 32 --rope-scaling yarn:factor=4 2>/dev/null)
check "evaluate --rope-scaling yarn changes the loss at 4x the length" "differ" \
  "$([ -n "$yarn" ] && [ "$plain" != "$yarn" ] && echo differ)"
expect_error "rope-scaling on an ALiBi model" "applies to a RoPE model" evaluate --model "$lab/sort" --data sort --rope-scaling yarn:factor=4
expect_error "rope-scaling: unknown kind" "the kinds are" evaluate --model "$lab/rope" --data sort --rope-scaling wobble
expect_error "rope-scaling: unknown key" "unknown key" evaluate --model "$lab/rope" --data sort --rope-scaling yarn:speed=2
expect_error "rope-scaling: not a number" "not a number" evaluate --model "$lab/rope" --data sort --rope-scaling linear:factor=x

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
