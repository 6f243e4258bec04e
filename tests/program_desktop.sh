#!/usr/bin/env bash
# The desktop program under Xvfb: starts and exits cleanly, rejects bad input with a message,
# renders one screenshot per view (right size, not blank), different views and schemes give
# different images, the repeated-token marking appears for a sentence with a repeat, and
# settings persist between runs.
#   bash tests/program_desktop.sh <build-dir>
set -u
BUILD=${1:?usage: program_desktop.sh <build-dir>}
BIN="$BUILD/app/embedscope"
if [ ! -x "$BIN" ]; then echo "FAIL: $BIN not built"; exit 1; fi

# Re-run the whole script inside one X server (one start-up instead of one per run).
if [ -z "${ES_DESKTOP_IN_XVFB:-}" ]; then
  if ! command -v xvfb-run >/dev/null; then echo "FAIL: xvfb-run missing (apt-get install xvfb xauth)"; exit 1; fi
  exec env ES_DESKTOP_IN_XVFB=1 xvfb-run -a -s "-screen 0 1920x1080x24" bash "$0" "$@"
fi

OUT="$BUILD/desktop-test"
rm -rf "$OUT"; mkdir -p "$OUT"
export XDG_CONFIG_HOME="$OUT/config"   # never touch the user's settings
PY=/usr/bin/python3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# The image checks run in one batch at the end (tests/png_check.cpp, one line per check).
PNGCHECK="$BUILD/tests/png_check"
if [ ! -x "$PNGCHECK" ]; then echo "FAIL: $PNGCHECK not built"; exit 1; fi


# 1. Starts, renders frames, exits 0.
if "$BIN" --frames 5 >"$OUT/frames.log" 2>&1; then pass "--frames 5 exits 0"; else fail "--frames 5: $(cat "$OUT/frames.log")"; fi

# 2. Help and bad input.
"$BIN" --help >"$OUT/help.txt" 2>&1 || fail "--help exit code"
for opt in --screenshot --view --text --model --scheme --size --frames --bench-frames --ui-scale; do
  grep -q -- "$opt" "$OUT/help.txt" || fail "--help does not list $opt"
done
check_rejects() {  # expected message fragment, then arguments
  local want=$1; shift
  if "$BIN" "$@" >"$OUT/bad.log" 2>&1; then fail "accepted bad input: $*"; return; fi
  if grep -qi -- "$want" "$OUT/bad.log"; then pass "rejects $* ($(head -c 120 "$OUT/bad.log"))"
  else fail "message for '$*' lacks '$want': $(cat "$OUT/bad.log")"; fi
}
check_rejects "unknown option" --frames 1 --bogus
check_rejects "unknown view" --frames 1 --view nowhere
check_rejects "unknown scheme" --frames 1 --scheme spiral
check_rejects "not a model" --frames 1 --model /nonexistent/model.safetensors
check_rejects "size" --frames 1 --size 12xfoo
check_rejects "covers only" --frames 1 --text "the cat sat on the mat the cat" --scheme learned
check_rejects "--select" --frames 1 --select 99
# Options are one state, whatever their order: a 7-token text is fine under sinusoidal
# positions on the classroom model (learned table of 6 rows), text first or scheme first.
for order in "--scheme sinusoidal --text" "--text"; do
  if [ "$order" = "--text" ]; then args=(--text "I saw the cat chase the mouse" --scheme sinusoidal)
  else args=(--scheme sinusoidal --text "I saw the cat chase the mouse"); fi
  if "$BIN" --no-settings --frames 1 "${args[@]}" >"$OUT/order.log" 2>&1; then pass "accepts ${args[*]}"
  else fail "refused ${args[*]}: $(cat "$OUT/order.log")"; fi
done

# A GPT-2 layout checkpoint (wte V x d, wpe L x d of smooth values, config.json) in folder $1.
tiny_gpt2() {
  "$PY" - "$@" <<'MKEOF'
import json, math, struct, sys
folder, V, d, L = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
wte = [math.sin(0.37 * i + 0.11 * c) * 0.1 for i in range(V) for c in range(d)]
wpe = [math.sin(p / (4.0 + c)) * 0.1 for p in range(L) for c in range(d)]
data = struct.pack('<%df' % len(wte), *wte) + struct.pack('<%df' % len(wpe), *wpe)
hdr = {"wte.weight": {"dtype": "F32", "shape": [V, d], "data_offsets": [0, 4 * len(wte)]},
       "wpe.weight": {"dtype": "F32", "shape": [L, d], "data_offsets": [4 * len(wte), len(data)]}}
h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
open(folder + '/model.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + data)
json.dump({"model_type": "gpt2", "n_embd": d, "vocab_size": V, "n_positions": L, "n_head": 2},
          open(folder + '/config.json', 'w'))
MKEOF
}

# 3. One screenshot per view.
shot() {  # name, then arguments
  local name=$1; shift
  if "$BIN" --size 1280x800 --screenshot "$OUT/$name.png" "$@" >"$OUT/$name.log" 2>&1; then
    echo "info $name" >>"$OUT/checks.txt"
  else
    fail "screenshot $name: $(cat "$OUT/$name.log")"
  fi
}
# All seven in one run (--view LIST: one picture per view, '{view}' in the name).
if "$BIN" --size 1280x800 --view tokens,matrix,pca,schemes,model,vocab,train --screenshot "$OUT/view-{view}.png" \
     >"$OUT/views.log" 2>&1; then
  for v in tokens matrix pca schemes model vocab train; do
    if [ -f "$OUT/view-$v.png" ]; then echo "info view-$v" >>"$OUT/checks.txt"; else fail "--view LIST wrote no view-$v.png"; fi
  done
else
  fail "screenshots of seven views in one run: $(cat "$OUT/views.log")"
fi
check_rejects "{view}" --view matrix,model --screenshot "$OUT/no-placeholder.png"
check_rejects "unknown view 'modl'" --view matrix,modl --screenshot "$OUT/{view}.png"
# Right-to-left text reads right under the text box: the Unicode bidi algorithm (FriBidi) puts
# a number after Hebrew words to their left, and each word reads right to left: "12 םלוע םולש".
"$BIN" --no-settings --size 1280x720 --ui-scale 1.5 --view tokens --model gpt2-untrained --audit "$OUT/audit-bidi.txt" \
  --text "the cat $(printf '\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d') 12 dog" --screenshot "$OUT/bidi.png" >"$OUT/bidi.log" 2>&1
if grep -q "	the cat 12 $(printf '\xd7\x9d\xd7\x9c\xd7\x95\xd7\xa2 \xd7\x9d\xd7\x95\xd7\x9c\xd7\xa9') dog$" "$OUT/audit-bidi.txt" &&
   grep -q "	reads:$" "$OUT/audit-bidi.txt"; then
  pass "a right-to-left line reads in bidi order under the text box"
else
  fail "bidi preview: $(cat "$OUT/bidi.log"; grep -A1 'reads:' "$OUT/audit-bidi.txt")"
fi
# Characters past U+FFFF: an emoji (a whole word of this tokenizer) is drawn from Symbola through
# its private-use stand-in, never as "<U+1F600>"; a character no font has says its code point.
EMO="$OUT/emoji-words"; mkdir -p "$EMO"
tiny_gpt2 "$EMO" 8 4 16
printf '<unk>\nthe\ncat\nis\nhappy\n\xf0\x9f\x98\x80\n\xf0\x9f\x90\x88\n\xf3\xb0\x80\x80\n' >"$EMO/embedscope_words.txt"
"$BIN" --no-settings --size 1280x720 --ui-scale 1.5 --model "$EMO" --view tokens --audit "$OUT/audit-emoji.txt" \
  --text "the cat $(printf '\xf0\x9f\x90\x88') is happy $(printf '\xf0\x9f\x98\x80') $(printf '\xf3\xb0\x80\x80')" \
  --screenshot "$OUT/emoji.png" >"$OUT/audit.log" 2>&1
if [ -f /usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf ] && grep -q "^tokens.chip	fits" "$OUT/audit-emoji.txt" &&
   ! grep -q "<U+1F600>" "$OUT/audit-emoji.txt" && grep -q "<U+F0000>" "$OUT/audit-emoji.txt"; then
  pass "emoji drawn through stand-ins; a character without a font names its code point"
else
  fail "emoji chips: $(cat "$OUT/audit.log" "$OUT/audit-emoji.txt")"
fi
# Arabic and Devanagari words are shaped (HarfBuzz: joining forms, right to left, conjuncts) and
# drawn through stand-ins: no chip holds the unshaped letters.
SHP="$OUT/shaped-words"; mkdir -p "$SHP"
tiny_gpt2 "$SHP" 8 4 16
printf '<unk>\nthe\n\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9\n\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80\n' >"$SHP/embedscope_words.txt"
"$BIN" --no-settings --size 1280x720 --ui-scale 1.5 --model "$SHP" --view tokens --audit "$OUT/audit-shaped.txt" \
  --text "the $(printf '\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9') $(printf '\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80')" \
  --screenshot "$OUT/shaped.png" >"$OUT/audit.log" 2>&1
if [ "$(grep -c '^tokens.chip	fits' "$OUT/audit-shaped.txt")" = 3 ] &&
   ! grep "^tokens.chip" "$OUT/audit-shaped.txt" | grep -q "$(printf '\xe0\xa4\xb9')" &&
   ! grep "^tokens.chip" "$OUT/audit-shaped.txt" | grep -q "$(printf '\xd8\xb9')"; then
  pass "Arabic and Devanagari chips are shaped (and a table with more rows than tokens draws)"
else
  fail "shaped chips: $(cat "$OUT/audit.log" "$OUT/audit-shaped.txt")"
fi
# A table with rows past the tokenizer's vocabulary (8 rows, 4 words; Pythia pads 50,277 tokens
# to 50,304 rows): the rows without a token are labelled so, never asked of the tokenizer.
shot tables-padding --model "$SHP" --view matrix --matrix-mode tables
# PCA labels: points on one spot share a label, split per token id and never named after one
# token for all (the position rows under RoPE are all zero: one label "pos 0,...,5"); the two
# "the" of the token rows coincide and share "0,4 the".
"$BIN" --no-settings --size 1280x800 --view pca --scheme rope --set pca.rows=position --audit "$OUT/audit-pca-pos.txt" \
  --screenshot "$OUT/audit-pca-pos.png" >"$OUT/audit.log" 2>&1
if [ "$(grep -c '^pca.label	' "$OUT/audit-pca-pos.txt")" = 1 ] && grep -q "	pos 0,1,2,3,4,5$" "$OUT/audit-pca-pos.txt"; then
  pass "audit: coinciding position rows share one label, by position"
else
  fail "audit: PCA position labels: $(cat "$OUT/audit.log" "$OUT/audit-pca-pos.txt")"
fi
# A projector (1280x720, UI scale 2) fits three rows of six: the second "the" (row 4) stays in
# view beside the first, and the gap says how many rows it hides.
"$BIN" --no-settings --size 1280x720 --ui-scale 2 --view matrix --audit "$OUT/audit-matrix-2.txt" \
  --screenshot "$OUT/audit-matrix-2.png" >"$OUT/audit.log" 2>&1
if grep -q "^heatmap.row_label	fits	.*	4  the$" "$OUT/audit-matrix-2.txt" &&
   grep -q "^heatmap.row_label	fits	.*	0  the$" "$OUT/audit-matrix-2.txt" &&
   grep -q "^heatmap.hidden	fits	.*	2 hidden$" "$OUT/audit-matrix-2.txt" &&
   ! grep -q "	reads:$" "$OUT/audit-matrix-2.txt"; then
  pass "audit: folded matrix keeps both \"the\" rows in view and counts the hidden rows"
else
  fail "audit: folded matrix rows: $(cat "$OUT/audit.log" "$OUT/audit-matrix-2.txt")"
fi
"$BIN" --no-settings --size 1280x800 --view pca --set pca.rows=token --audit "$OUT/audit-pca-tok.txt" \
  --screenshot "$OUT/audit-pca-tok.png" >"$OUT/audit.log" 2>&1
if grep -q "	0,4 the$" "$OUT/audit-pca-tok.txt" && ! grep -q "	0,[0-9,]* [a-z]*cat" "$OUT/audit-pca-tok.txt"; then
  pass "audit: the two \"the\" share one label; other tokens keep their own"
else
  fail "audit: PCA token labels: $(cat "$OUT/audit.log" "$OUT/audit-pca-tok.txt")"
fi
# Every PCA label lies nearer its own point than any other point (the audit's pca.label.near:
# width = distance to its point, room = distance to the nearest other; CLIPPED breaks the rule)
# at the projector's sizes, presenter on and off, dark and light; a point left without a label
# is listed beside the plot where there is room ("no label:").
for cfg in "1280x720 1.5" "1280x720 2" "1280x720 2 --presenter" "1280x720 2 --theme light" "1920x1080 1" "1920x1080 2 --presenter"; do
  set -- $cfg
  size=$1 scale=$2
  shift 2
  "$BIN" --no-settings --size "$size" --ui-scale "$scale" "$@" --view pca --audit "$OUT/audit-pca-near.txt" \
    --screenshot "$OUT/audit-pca-near.png" >"$OUT/audit.log" 2>&1
  if [ "$(grep -c '^pca.label.near	fits' "$OUT/audit-pca-near.txt")" -ge 3 ] && ! grep -q '^pca.label.near	CLIPPED' "$OUT/audit-pca-near.txt"; then
    pass "audit: PCA labels beside their own points at $cfg"
  else
    fail "audit: PCA labels at $cfg: $(cat "$OUT/audit.log" "$OUT/audit-pca-near.txt")"
  fi
done
if grep -q '^pca.unlabelled	fits	.*no label:' "$OUT/audit-pca-near.txt" || [ "$(grep -c '^pca.label.near	fits' "$OUT/audit-pca-near.txt")" -ge 6 ]; then
  pass "audit: a point without room for its label is listed"
else
  fail "audit: unlabelled points not listed: $(cat "$OUT/audit-pca-near.txt")"
fi
# PCA in 3D (PC1-3, turned): renders and differs from the 2D plot.
shot pca-3d --view pca --set pca.3d=1 --set pca.yaw=40 --set pca.pitch=20
echo "diff view-pca pca-3d" >>"$OUT/checks.txt"
# The light theme (projectors) renders and differs from the dark one; a bad theme is refused.
shot theme-light --view matrix --theme light
echo "diff view-matrix theme-light" >>"$OUT/checks.txt"
check_rejects "dark or light" --frames 1 --theme purple
# The lesson: every step rendered at the end of its animation (a test per step: no step may
# fail to draw), one in presenter mode, and the list of steps.
# One run writes all fifteen (--lesson all, {step} -> 01 ... 15), each as --lesson N would.
if "$BIN" --size 1280x800 --lesson all --screenshot "$OUT/lesson-{step}.png" >"$OUT/lesson-all.log" 2>&1; then
  for k in $(seq -w 1 15); do echo "info lesson-$k" >>"$OUT/checks.txt"; done
else
  fail "--lesson all: $(cat "$OUT/lesson-all.log")"
fi
shot lesson-06-alone --lesson 6
echo "same lesson-06 lesson-06-alone" >>"$OUT/checks.txt"
check_rejects "{step}" --lesson all --screenshot "$OUT/no-placeholder.png"
shot lesson-presenter --lesson sum --presenter
if [ "$("$BIN" --lesson list | wc -l | tr -d ' ')" = "15" ]; then pass "lesson list: 15 steps"; else fail "lesson list: $("$BIN" --lesson list)"; fi
if "$BIN" --lesson 16 --frames 1 >"$OUT/lesson-bad.log" 2>&1; then fail "--lesson 16 accepted"
elif grep -q "no step '16'" "$OUT/lesson-bad.log"; then pass "--lesson 16 refused"; else fail "--lesson 16: $(cat "$OUT/lesson-bad.log")"; fi
echo "diff lesson-07 lesson-presenter" >>"$OUT/checks.txt"
# The Train view after a short run of two schemes and the short-versus-long evaluation.
shot train-run --view train --set train.steps=20 --set train.schemes=learned,alibi --set train.context=16 \
  --set train.dim=16 --set train.heads=2 --set train.layers=1 --set train.run=1 --set train.long=1
shot scheme-learned --view matrix --scheme learned
shot scheme-sinusoidal --view matrix --scheme sinusoidal
shot scheme-rope --view matrix --scheme rope
shot scheme-alibi --view matrix --scheme alibi
# GPT-2 shapes (needs the tokenizer files `make test` fetches): the 50257-row token table
# windowed under GL_MAX_TEXTURE_SIZE, and the PCA view with both point layers.
TOKDIR=${EMBEDSCOPE_TOKENIZER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/embedscope/gpt2-tokenizer}
if [ -f "$TOKDIR/encoder.json" ] && [ -f "$TOKDIR/vocab.bpe" ]; then
  shot gpt2-tables --model gpt2-untrained --view matrix --matrix-mode tables
  # RoPE adds nothing at the input: its all-zero position panel must not set the shared colour
  # scale (with +-1 the 0.02-sized token rows were drawn white: ~6,700 coloured pixels, now ~21,000).
  shot gpt2-rope-matrix --model gpt2-untrained --scheme rope --view matrix
  echo "saturated gpt2-rope-matrix 14000" >>"$OUT/checks.txt"
  # The layout audit: numbers, titles and labels against the room they are given. The weights
  # column once showed 597,376 for 38,597,376; heatmap titles ran into each other at scale 2.
  LONGTEXT="The teacher wrote a sentence on the board and the students counted the tokens in the sentence, then the teacher added positions and the two equal tokens stopped being equal."
  for sc in 1.5 2; do
    if "$BIN" --no-settings --size 1280x720 --ui-scale $sc --model gpt2-untrained --view model --audit "$OUT/audit-model-$sc.txt" \
         --screenshot "$OUT/audit-model-$sc.png" >"$OUT/audit.log" 2>&1 &&
       grep -q "^model.weights	fits	.*	38,597,376$" "$OUT/audit-model-$sc.txt" && ! grep -q CLIPPED "$OUT/audit-model-$sc.txt"; then
      pass "audit: Model view numbers fit at 1280x720 x$sc"
    else
      fail "audit: Model view at x$sc: $(cat "$OUT/audit.log" "$OUT/audit-model-$sc.txt" 2>/dev/null | head -20)"
    fi
    if "$BIN" --no-settings --size 1280x720 --ui-scale $sc --model gpt2-untrained --view matrix --text "$LONGTEXT" \
         --audit "$OUT/audit-matrix-$sc.txt" --screenshot "$OUT/audit-matrix-$sc.png" >"$OUT/audit.log" 2>&1 &&
       grep -q "^heatmap.row_label	" "$OUT/audit-matrix-$sc.txt" && ! grep -q CLIPPED "$OUT/audit-matrix-$sc.txt"; then
      pass "audit: Matrix view titles, numbers and row labels fit at 1280x720 x$sc"
    else
      fail "audit: Matrix view at x$sc: $(cat "$OUT/audit.log"; grep CLIPPED "$OUT/audit-matrix-$sc.txt" | head -5)"
    fi
  done
  # Sinusoidal rows (size 1) beside GPT-2's token rows (~0.1): each panel its own scale, said.
  "$BIN" --no-settings --size 1280x720 --ui-scale 1.5 --model gpt2-untrained --scheme sinusoidal --view matrix \
    --text "the cat sat on the mat and the dog" --audit "$OUT/audit-matrix-sin.txt" --screenshot "$OUT/audit-matrix-sin.png" \
    >"$OUT/audit.log" 2>&1
  if grep -q "^heatmap.title	fits	.*token rows E\[id\] (+-0.0" "$OUT/audit-matrix-sin.txt" &&
     grep -q "^heatmap.title	fits	.*position rows P (+-1.00)" "$OUT/audit-matrix-sin.txt" &&
     grep -q "^heatmap.row_label	fits	.*	7  .the$" "$OUT/audit-matrix-sin.txt"; then
    pass "audit: token rows get their own colour scale beside sinusoidal rows; both repeated rows in view"
  else
    fail "audit: own scales: $(cat "$OUT/audit.log"; grep 'heatmap' "$OUT/audit-matrix-sin.txt" | head -12)"
  fi
  shot gpt2-pca --model gpt2-untrained --view pca --set pca.vocab_layer=1 --set pca.position_layer=1 \
    --text "the cat sat on the mat and the dog sat on the rug"
  # A small real checkpoint folder (GPT-2 layout: wte/wpe, config.json, tokenizer files).
  CK="$OUT/tiny-gpt2"; mkdir -p "$CK"
  cp "$TOKDIR/encoder.json" "$CK/vocab.json"; cp "$TOKDIR/vocab.bpe" "$CK/merges.txt"
  tiny_gpt2 "$CK" 50257 8 64
  shot checkpoint-model --model "$CK" --view model
  shot checkpoint-matrix --model "$CK" --view matrix --text "the cat sat on the mat"
else
  echo "note: GPT-2 tokenizer files not in $TOKDIR; GPT-2 and checkpoint screenshots skipped (run make run once)"
fi
printf 'garbage, not a safetensors file' >"$OUT/garbage.safetensors"
check_rejects "safetensors" --frames 1 --model "$OUT/garbage.safetensors"

shot repeat-yes --view matrix --text "the cat sat on the mat"
shot repeat-no --view matrix --text "the cat sat on a mat"

# 3b. A checkpoint without a tokenizer EmbedScope reads (here a UnicodeScripts tokenizer.json beside
# GPT-2 tables) still opens: on the ids line "ids: 1 2 3 1 4", whose repeated id is marked like
# a repeated word. Typed ids also work on a model that has a tokenizer.
NT="$OUT/no-tokenizer"; mkdir -p "$NT"
tiny_gpt2 "$NT" 16 4 8
printf '{"pre_tokenizer": {"type": "UnicodeScripts"}, "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "the": 1}}}' >"$NT/tokenizer.json"
shot no-tokenizer --model "$NT" --view matrix
shot typed-ids --view matrix --text "ids: 0 1 0"
# 3c. Every tokenizer kind opens on text, in the desktop and the CLI: BERT (WordPiece
# tokenizer.json, and vocab.txt alone), T5 (spiece.model + Unigram tokenizer.json), LLaMA 2
# (tokenizer.model + BPE-with-byte-fallback tokenizer.json), Qwen2 (byte-level BPE with NFC),
# each beside GPT-2-layout tables of 1,000 rows; with the model's special tokens.
CLI="$BUILD/app/embedscope-cli"
KINDS="$ES_SOURCE_DIR/tests/data/hf_tokenizers"
for kind in bert bert_vocab_only t5 llama qwen2; do
  K="$OUT/kind-$kind"; mkdir -p "$K"
  cp "$KINDS/$kind"/* "$K/"
  tiny_gpt2 "$K" 1000 8 64
  shot "kind-$kind" --model "$K" --view tokens --special --text "The cat sat on the mat. Café 東京"
  if "$CLI" tokens --model "$K" --special --text "The cat sat" >"$OUT/kind-$kind.txt" 2>&1 &&
     grep -q "special" "$OUT/kind-$kind.txt" || [ "$kind" = qwen2 ]; then
    pass "cli tokens --special on $kind: $(cut -f3 "$OUT/kind-$kind.txt" | tr '\n' ' ')"
  else
    fail "cli tokens on $kind: $(cat "$OUT/kind-$kind.txt")"
  fi
done
check_rejects "token ids" --frames 1 --text "ids: 1 two 3"
check_rejects "outside the vocabulary" --frames 1 --text "ids: 1 99"

# 4. Different views and schemes differ.
views=(tokens matrix pca schemes model vocab)
for ((i = 0; i < ${#views[@]}; ++i)); do
  for ((j = i + 1; j < ${#views[@]}; ++j)); do echo "diff view-${views[i]} view-${views[j]}" >>"$OUT/checks.txt"; done
done
printf 'diff %s %s\n' scheme-learned scheme-sinusoidal scheme-learned scheme-rope \
  scheme-sinusoidal scheme-rope scheme-rope scheme-alibi >>"$OUT/checks.txt"

# 5. Repeated-token marking: the first token's colour (Okabe-Ito orange E69F00, a quarter of the
# way to white on the dark theme so it reads as text: ECB73F) frames its rows in all three
# heatmaps when "the" repeats; without a repeat only its label text has it.
echo "marks repeat-yes repeat-no ECB73F" >>"$OUT/checks.txt"
echo "marks no-tokenizer repeat-no ECB73F" >>"$OUT/checks.txt"
echo "marks typed-ids repeat-no ECB73F" >>"$OUT/checks.txt"

# 5b. Inside the program a bad input keeps the current state and says why on the status line
# (drawn in the warning colour #FF7864): a remembered text too long for the classroom table,
# and a remembered model that does not open (it opens on a worker thread).
mkdir -p "$OUT/bad-config/embedscope"
printf 'text=the cat sat on the mat the cat sat\nview=matrix\n' >"$OUT/bad-config/embedscope/settings.ini"
if XDG_CONFIG_HOME="$OUT/bad-config" "$BIN" --use-settings --size 1280x800 --screenshot "$OUT/bad-text.png" >"$OUT/bad-text.log" 2>&1; then
  echo "colour bad-text FF7864 30" >>"$OUT/checks.txt"
else fail "a bad remembered text stopped the program: $(cat "$OUT/bad-text.log")"; fi
printf 'model=%s\nview=matrix\n' "$OUT/garbage.safetensors" >"$OUT/bad-config/embedscope/settings.ini"
if XDG_CONFIG_HOME="$OUT/bad-config" "$BIN" --use-settings --size 1280x800 --screenshot "$OUT/bad-model.png" >"$OUT/bad-model.log" 2>&1; then
  echo "colour bad-model FF7864 30" >>"$OUT/checks.txt"
else fail "a bad remembered model stopped the program: $(cat "$OUT/bad-model.log")"; fi

"$PNGCHECK" "$OUT" <"$OUT/checks.txt" >"$OUT/checks.log" 2>&1
cat "$OUT/checks.log"
n_fail=$(grep -c '^FAIL' "$OUT/checks.log")
n_ok=$(grep -c '^ok' "$OUT/checks.log")
[ "$n_ok" -ge 1 ] || fail "the image checks did not run"
failures=$((failures + n_fail))

# 6. Settings persist between runs (in a private XDG_CONFIG_HOME).
"$BIN" --use-settings --frames 2 --view pca --text "a cat on a mat" >"$OUT/set1.log" 2>&1 || fail "settings run 1"
ini="$XDG_CONFIG_HOME/embedscope/settings.ini"
if grep -q "^view=pca" "$ini" 2>/dev/null && grep -q "^text=a cat on a mat" "$ini"; then pass "settings written to $ini"
else fail "settings not written: $(cat "$ini" 2>&1)"; fi
"$BIN" --use-settings --frames 2 --view tokens >"$OUT/set2.log" 2>&1 || fail "settings run 2"
grep -q "^text=a cat on a mat" "$ini" || fail "remembered text lost on the second run"

echo "screenshots in $OUT"
if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all desktop checks passed"
