#!/usr/bin/env bash
# The layout audit's fast slice (issue 20; the whole matrix is scripts/audit_matrix.sh): every
# view and every lesson step in four configurations a class meets (a projector at 1280x720 x2,
# the light theme in presenter mode, GPT-2's shapes with a paragraph and with a multilingual
# line), each rendered under Xvfb with --audit. Fails on any record that breaks a rule: a text
# cut sideways (CLIPPED) or through a line (CUT), two texts on each other (OVERLAP), contrast
# under 4.5:1 (CONTRAST), key content out of view without a cue (OUT_OF_VIEW), a shape under
# 3:1 on what it stands on (FAINT), a PCA label nearer another point than its own. First, the audit's own test: one broken case of each rule,
# drawn on purpose (--audit-selftest), must each be reported.
#   bash tests/program_layout.sh <build-dir>
set -u
BUILD=${1:?usage: program_layout.sh <build-dir>}
BIN="$BUILD/app/embedscope"
if [ ! -x "$BIN" ]; then echo "FAIL: $BIN not built"; exit 1; fi
if [ -z "${ES_DESKTOP_IN_XVFB:-}" ]; then
  if ! command -v xvfb-run >/dev/null; then echo "FAIL: xvfb-run missing (apt-get install xvfb xauth)"; exit 1; fi
  exec env ES_DESKTOP_IN_XVFB=1 xvfb-run -a -s "-screen 0 1920x1080x24" bash "$0" "$@"
fi
OUT="$BUILD/layout-test"
rm -rf "$OUT"; mkdir -p "$OUT"
export XDG_CONFIG_HOME="$OUT/config"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# 1. The audit finds what it is meant to find.
"$BIN" --no-settings --size 1280x720 --ui-scale 1.5 --view matrix --audit-selftest --audit "$OUT/selftest.txt" \
  --screenshot "$OUT/selftest.png" >"$OUT/selftest.log" 2>&1
for want in "CLIPPED.*selftest-clipped" "OVERLAP.*selftest-overlap-a" "CONTRAST.*selftest-contrast" \
            "CUT.*selftest-cut-line" "OUT_OF_VIEW.*selftest-key" "ELIDED.*selftest-elided-tit" "CLIPPED.*selftest-mark" \
            "FAINT.*selftest-faint-mark"; do
  if grep -q "	$want" "$OUT/selftest.txt"; then pass "self-test: the audit reports ${want%%.*}"
  else fail "self-test: no ${want%%.*} record for a case drawn broken: $(cat "$OUT/selftest.log"; head -c 2000 "$OUT/selftest.txt")"; fi
done
if grep -q "	fits	.*selftest-line-1$" "$OUT/selftest.txt"; then pass "self-test: a whole line is not reported"
else fail "self-test: the uncut line is missing or reported: $(grep selftest-line-1 "$OUT/selftest.txt")"; fi
if grep -q "^caption	elided	.*selftest-elided-caption...$" "$OUT/selftest.txt"; then pass "self-test: a shortened caption is counted, not reported"
else fail "self-test: the shortened caption: $(grep selftest-elided-caption "$OUT/selftest.txt")"; fi

# 2. The slice.
PARA="The teacher wrote a short sentence on the board, and the students counted its tokens one by one. Then she added the position rows, and the two equal tokens that had shared one row a moment ago stood apart: the same word, a different place, a different vector for block zero to read."
MULTI="the cat καλημέρα кошка 猫が座った القط बिल्ली 🐈 the cat"
CONFIGS=(
  "projector-x2|--size 1280x720 --ui-scale 2 --theme dark"
  "light-presenter-x1.5|--size 1280x720 --ui-scale 1.5 --theme light --presenter"
  "gpt2-paragraph-x2-light|--size 1280x720 --ui-scale 2 --theme light --model gpt2-untrained|$PARA"
  "gpt2-multilingual-1080p|--size 1920x1080 --ui-scale 1 --theme dark --model gpt2-untrained|$MULTI"
)
# One render, tried twice (a display that refuses a client under load is not what is tested).
render() {
  local log=$1; shift
  "$BIN" "$@" >"$log" 2>&1 || { sleep 1; "$BIN" "$@" >"$log" 2>&1; }
}
# ES_LAYOUT_CONFIGS=N runs the first N only (the sanitizer pass: the audit's code runs under
# ASan through one whole configuration; the layout itself is checked whole in the release pass).
CONFIGS=("${CONFIGS[@]:0:${ES_LAYOUT_CONFIGS:-${#CONFIGS[@]}}}")
for cfg in "${CONFIGS[@]}"; do
  name=${cfg%%|*}; rest=${cfg#*|}; args=${rest%%|*}; text=""
  [ "$rest" != "$args" ] && text=${rest#*|}
  dir="$OUT/$name"; mkdir -p "$dir"
  extra=(); [ -n "$text" ] && extra=(--text "$text")
  # Six views and the lesson's fifteen steps in one run (--view LIST, {view} and {step} in the
  # names); the Train view after a short run (its progress bar, loss legend and token PCA
  # drawn) in its own, beside it.
  # shellcheck disable=SC2086
  render "$dir/views.log" --no-settings $args "${extra[@]}" --view tokens,matrix,pca,schemes,model,vocab,lesson \
    --lesson all --audit "$dir/{view}{step}.txt" --screenshot "$dir/{view}{step}.png" &
  # shellcheck disable=SC2086
  render "$dir/train.log" --no-settings $args "${extra[@]}" --view train --set train.steps=40 --set train.run=1 \
    --audit "$dir/train.txt" --screenshot "$dir/train.png" &
  wait
  screens=$(ls "$dir"/*.txt 2>/dev/null | wc -l)
  bad=$(grep -H "	[A-Z_][A-Z_]*	" "$dir"/*.txt 2>/dev/null | sed "s|$dir/||")
  if [ "$screens" -ne 22 ] || [ ! -f "$dir/lesson15.txt" ] || [ ! -f "$dir/vocab.txt" ]; then
    fail "$name: $screens of 22 screens audited: $(tail -n 2 "$dir"/*.log | head -20)"
  elif [ -n "$bad" ]; then
    fail "$name: $(echo "$bad" | wc -l) records break a rule:"; echo "$bad" | head -30
  else
    pass "$name: 22 screens, $(cat "$dir"/*.txt | wc -l) records, none breaks a rule"
  fi
done

# 2a. Shapes are audited too ("mark" records; cut by their window or FAINT, under 3:1 on what
# they stand on, breaks a rule, as above): every kind drawn in these configurations recorded:
# chips, PCA points, the Train view's loss curves and their legend, the lesson's row frame,
# circle and arrows (a near-black outline once left the first positions' dark purple at 1.9:1
# on the dark theme; the loss legend was black on near-black on the light one).
want="lesson.arrow lesson.circle lesson.row_frame pca.point tokens.chip train.curve train.legend"
kinds=$(cat "$OUT"/projector-x2/*.txt | awk -F'\t' '$1 == "mark" {print $NF}' | sort -u | tr '\n' ' ')
missing=""
for k in $want; do case " $kinds" in *" $k "*) ;; *) missing="$missing $k" ;; esac; done
if [ -z "$missing" ]; then pass "marks: $kinds recorded"
else fail "marks: not recorded:$missing (recorded: $kinds)"; fi

# 2a''. After a training run the status line says how it ended (it said "Classroom model
# loaded" through the whole run): the steps and each scheme's last loss.
if grep -q "^caption	fits	.*	Trained 40 steps. Last loss: learned [0-9.]*, rope [0-9.]*, alibi [0-9.]*\.$" "$OUT/projector-x2/train.txt"; then
  pass "train: the status line gives the run's end and last losses"
else fail "train: status line: $(grep -h "Classroom\|Train" "$OUT/projector-x2/train.txt" | grep "^caption" | head -3)"; fi

# 2a'. A map's grid is drawn into its image (cached, not 160 lines a frame): the difference
# strip of GPT-2's shapes at 1920x1080 (64 columns, 2 rows, no frames over it) has a line at
# each of its 63 column and 1 row boundaries (tests/png_check.cpp, "grid").
if [ -f "$OUT/gpt2-multilingual-1080p/matrix.txt" ]; then
  r=$(grep "^key	.*map: difference strip" "$OUT/gpt2-multilingual-1080p/matrix.txt" | head -1)
  xy=$(echo "$r" | cut -f5 | sed 's/at=//; s/,/ /')
  out=$(echo "grid matrix $xy $(echo "$r" | cut -f3) $(echo "$r" | cut -f4) 64 2" | "$BUILD/tests/png_check" "$OUT/gpt2-multilingual-1080p" 2>&1)
  case "$out" in ok:*) pass "grid: ${out#ok: }" ;; *) fail "grid: $out (record: $r)" ;; esac
fi

# 2b. A folded map counts every row it hides: GPT-2's 60 tokens in presenter mode at a
# projector's scale, where no note fits beside the titles: the rows shown plus the counts on
# the gap lines, above the first row and below the last make the whole text.
dir="$OUT/folded-presenter-x2"; mkdir -p "$dir"
render "$dir/matrix.log" --no-settings --size 1280x720 --ui-scale 2 --presenter --model gpt2-untrained --text "$PARA" \
  --view matrix --audit "$dir/matrix.txt" --screenshot "$dir/matrix.png"
tokens=$("$BUILD/app/embedscope-cli" tokens --model gpt2-untrained --text "$PARA" 2>/dev/null | wc -l)
shown=$(grep -c "^heatmap.row_label	" "$dir/matrix.txt")
hidden=$(awk -F'\t' '$1 == "heatmap.hidden" {split($NF, w, " "); n += w[1]} END {print n + 0}' "$dir/matrix.txt")
if [ "$tokens" -gt 40 ] && [ $((shown + hidden)) -eq "$tokens" ] && grep -q "	[0-9]* below$" "$dir/matrix.txt"; then
  pass "folded map: $shown rows shown and $hidden counted as hidden make the $tokens tokens"
else
  fail "folded map: $shown shown + $hidden counted hidden, of $tokens tokens: $(grep '^heatmap.hidden' "$dir/matrix.txt")"
fi

# 3. A checkpoint of another family, opened from a long path, with no tokenizer (LLaMA's layout:
# model.embed_tokens.weight, RoPE, ids typed in): its path in the Model box and on the card,
# the Vocabulary view without search, at a projector's scale.
LL="$OUT/checkpoints/a-rather-long-folder-name-for-a-llama-shaped-checkpoint-without-a-tokenizer"
mkdir -p "$LL"
/usr/bin/python3 - "$LL" <<'MKEOF'
import json, math, struct, sys
folder, V, d = sys.argv[1], 600, 64
emb = [math.sin(0.37 * i + 0.11 * c) * 0.02 + 0.01 * math.cos(1.7 * c * i) for i in range(V) for c in range(d)]
data = struct.pack('<%df' % len(emb), *emb)
hdr = {"model.embed_tokens.weight": {"dtype": "F32", "shape": [V, d], "data_offsets": [0, len(data)]}}
h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
open(folder + '/model.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + data)
json.dump({"model_type": "llama", "hidden_size": d, "vocab_size": V, "num_attention_heads": 4,
           "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 500000.0},
          open(folder + '/config.json', 'w'))
MKEOF
dir="$OUT/llama-long-path-x2"; mkdir -p "$dir"
render "$dir/views.log" --no-settings --size 1280x720 --ui-scale 2 --model "$LL" --view tokens,matrix,model,vocab \
  --audit "$dir/{view}.txt" --screenshot "$dir/{view}.png"
screens=$(ls "$dir"/*.txt 2>/dev/null | wc -l)
bad=$(grep -H "	[A-Z_][A-Z_]*	" "$dir"/*.txt 2>/dev/null | sed "s|$dir/||")
if [ "$screens" -ne 4 ]; then
  fail "llama-long-path-x2: $screens of 4 screens audited: $(tail -n 2 "$dir"/*.log | head -20)"
elif [ -n "$bad" ]; then
  fail "llama-long-path-x2: $(echo "$bad" | wc -l) records break a rule:"; echo "$bad" | head -30
elif ! grep -q "	\.\.\..*without-a-tokenizer$" "$dir/model.txt"; then
  fail "llama-long-path-x2: the path's end is not shown after '...': $(grep -c . "$dir/model.txt") records"
else
  pass "llama-long-path-x2: 4 screens, none breaks a rule; the path shown by its end"
fi
# Without a tokenizer the Vocabulary view finds neighbours by id: the same first neighbour and
# cosine (3 decimals) as the command line's exact search.
CLI="$BUILD/app/embedscope-cli"
first=$("$CLI" neighbors --model "$LL" --id 1 --k 1 2>/dev/null | awk -F'\t' '$1 == 1 {printf "%s %.3f", $2, $3}')
render "$dir/vocab-1080.log" --no-settings --size 1920x1080 --model "$LL" --view vocab --audit "$dir/vocab-1080.txt" \
  --screenshot "$dir/vocab-1080.png"
shown=$(awk -F'\t' '/Nearest to id 1 by cosine/ {on = 1; next} on && $NF ~ /^[0-9]+$/ && !id {id = $NF; next}
                    on && id && $NF ~ /^-?[0-9]+\.[0-9]+$/ {print id " " $NF; exit}' "$dir/vocab-1080.txt")
if [ -n "$first" ] && [ "$shown" = "$first" ]; then pass "no tokenizer: neighbours by id, the first as the CLI finds it ($shown)"
else fail "no tokenizer: the Vocabulary view shows '$shown', the CLI '$first'"; fi

# 4. Every family fixture (tests/data/families: OPT, BART, BERT, ALBERT, GPT-J, Phi, Gemma,
# DeepSeek V3, ...) opened as a folder, its Matrix and Model views at a projector's scale; four
# of other schemes and layouts (RoPE without a tokenizer and three rows of scheme controls,
# partial rotary, relative keys without a position table, learned with an offset) in every view
# and the whole lesson. The weights follow the fixtures' formula (tests/family_fixtures.h). Not
# under the sanitizers (ES_LAYOUT_CONFIGS set): the layout is the release pass's to check.
# scripts/audit_matrix.sh --families opens every family in every view at more sizes.
if [ -z "${ES_LAYOUT_CONFIGS:-}" ]; then
  FAM="$OUT/families"; mkdir -p "$FAM"
  /usr/bin/python3 "$(dirname "$0")/data/families/write_folders.py" "$(dirname "$0")/data/families/family_fixtures.json" "$FAM"
  families=0 expected=0
  for f in "$FAM"/*/; do
    n=$(basename "$f"); families=$((families + 1))
    case " gemma2 phi bert_relative_key bart " in
      *" $n "*) views=(--view tokens,matrix,pca,schemes,model,vocab,lesson --lesson all); expected=$((expected + 21)) ;;
      *) views=(--view matrix,model); expected=$((expected + 2)) ;;
    esac
    render "$FAM/$n.log" --no-settings --size 1280x720 --ui-scale 2 --model "$f" "${views[@]}" \
      --audit "$FAM/$n-{view}{step}.txt" --screenshot "$FAM/$n-{view}{step}.png" &
    [ "$(jobs -rp | wc -l)" -ge 2 ] && wait -n
  done
  # Presenter mode, step 6 under RoPE (nothing added at the input): the schemes side by side
  # stand in for the position rows, as out of presenter mode (it once showed no figure).
  render "$FAM/presenter.log" --no-settings --size 1280x720 --ui-scale 2 --presenter --model "$FAM/gemma2" \
    --view lesson --lesson 6 --audit "$FAM/gemma2-presenter-lesson06.txt" --screenshot "$FAM/gemma2-presenter-lesson06.png"
  expected=$((expected + 1))
  if grep -q "^key	fits	.*lesson figure: side_by_side$" "$FAM/gemma2-presenter-lesson06.txt"; then
    pass "presenter, step 6 under RoPE: the schemes side by side in view"
  else fail "presenter, step 6 under RoPE: no figure in view: $(grep '^key' "$FAM/gemma2-presenter-lesson06.txt")"; fi
  wait
  screens=$(ls "$FAM"/*.txt 2>/dev/null | wc -l)
  bad=$(grep -H "	[A-Z_][A-Z_]*	" "$FAM"/*.txt 2>/dev/null | sed "s|$FAM/||")
  if [ "$families" -lt 20 ] || [ "$screens" -ne "$expected" ]; then
    fail "families: $screens screens of $families families: $(tail -n 2 "$FAM"/*.log | head -20)"
  elif [ -n "$bad" ]; then
    fail "families: $(echo "$bad" | wc -l) records break a rule:"; echo "$bad" | head -30
  else
    pass "families: $families fixtures x Matrix and Model at 1280x720 x2 (four in every view and step: $screens screens), none breaks a rule"
  fi
fi

[ "$failures" -eq 0 ] && echo "all layout checks passed" || echo "$failures layout check(s) failed"
[ "$failures" -eq 0 ]
