#!/usr/bin/env bash
# The layout audit as a matrix (issue 20): every view and every lesson step, rendered under Xvfb
# at each window size and UI scale, theme, presenter mode and text, each with `--audit`; then one
# summary table of the records that break a rule (see the summary's comment below).
#
#   scripts/audit_matrix.sh BUILD_DIR OUT_DIR [--quick | --texts-default | --families | --summary]
#
# --quick: one theme, presenter off, the default text (the fast slice, ~2 minutes on 2 cores);
# --texts-default: every size, theme and presenter mode with the default text (~8 minutes);
# --families: every family fixture (tests/data/families, written as checkpoint folders: OPT,
#   BART, BERT, Gemma, DeepSeek V3, Phi, ...) in every view and lesson step at every size, dark,
#   presenter off (132 configurations, ~25 minutes);
# --summary: no rendering, only the summary of what OUT_DIR holds.
# The whole matrix (96 configurations x 22 screens, one run each, and the Train view after a
# short run once per size, theme and presenter mode) takes about ten minutes on 2 cores.
# Needs xvfb-run.
# Writes OUT_DIR/<config>/<screen>.{png,txt} and prints the summary (also OUT_DIR/summary.md).
set -u
BUILD=${1:?build dir}
OUT=${2:?output dir}
QUICK=${3:-}
BIN="$BUILD/app/embedscope"
[ "$QUICK" = "--summary" ] || [ -x "$BIN" ] || { echo "no $BIN" >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "xvfb-run is needed (apt-get install xvfb)" >&2; exit 2; }
mkdir -p "$OUT"

SIZES=("1280x720 1" "1280x720 1.5" "1280x720 2" "1920x1080 1" "1920x1080 2" "3840x2160 2")
THEMES=(dark light)
PRESENTER=(off on)
# Texts: the default sentence; GPT-2's shapes with a 60-token paragraph; 1000 tokens; a
# multilingual line (Latin, Greek, Cyrillic, CJK, Arabic, Devanagari, emoji).
PARA="The teacher wrote a short sentence on the board, and the students counted its tokens one by one. Then she added the position rows, and the two equal tokens that had shared one row a moment ago stood apart: the same word, a different place, a different vector for block zero to read."
LONG=$(for _ in $(seq 1 60); do printf 'the cat sat on the mat and the dog saw it. '; done)
MULTI="the cat καλημέρα кошка 猫が座った القط बिल्ली 🐈 the cat"
TEXTS=("default||" "paragraph|gpt2-untrained|$PARA" "long|gpt2-untrained|$LONG" "multilingual|gpt2-untrained|$MULTI")
if [ "$QUICK" = "--quick" ]; then THEMES=(dark); PRESENTER=(off); TEXTS=("default||"); fi
if [ "$QUICK" = "--texts-default" ]; then TEXTS=("default||"); fi
if [ "$QUICK" = "--families" ]; then
  FIXTURES=$(mktemp -d)
  trap 'rm -rf "$FIXTURES"' EXIT
  src="$(cd "$(dirname "$0")/.." && pwd)"
  /usr/bin/python3 "$src/tests/data/families/write_folders.py" "$src/tests/data/families/family_fixtures.json" "$FIXTURES"
  THEMES=(dark); PRESENTER=(off); TEXTS=()
  for f in "$FIXTURES"/*/; do TEXTS+=("family_$(basename "$f")|$f|"); done
fi
# Slices by hand: AUDIT_SIZES="1280x720 2;1920x1080 2", AUDIT_TEXTS="paragraph long",
# AUDIT_THEMES="light" and AUDIT_PRESENTER="on" keep those (any of them with --families too).
if [ -n "${AUDIT_SIZES:-}" ]; then IFS=';' read -r -a SIZES <<<"$AUDIT_SIZES"; fi
if [ -n "${AUDIT_THEMES:-}" ]; then read -r -a THEMES <<<"$AUDIT_THEMES"; fi
if [ -n "${AUDIT_PRESENTER:-}" ]; then read -r -a PRESENTER <<<"$AUDIT_PRESENTER"; fi
if [ -n "${AUDIT_TEXTS:-}" ]; then
  kept=()
  for t in "${TEXTS[@]}"; do for want in $AUDIT_TEXTS; do [ "${t%%|*}" = "$want" ] && kept+=("$t"); done; done
  TEXTS=("${kept[@]}")
fi

render() {  # render DIR NAME ARGS...: three tries (parallel xvfb-run -a may race for a display)
  local dir=$1 name=$2; shift 2
  for attempt in 1 2 3; do
    if xvfb-run -a -s "-screen 0 3840x2160x24" "$BIN" --no-settings "$@" --audit "$dir/$name.txt" \
         --screenshot "$dir/$name.png" >"$dir/$name.log" 2>&1; then return 0; fi
    sleep "0.$((RANDOM % 9 + 1))"
  done
  echo "render failed: $dir/$name ($(tail -1 "$dir/$name.log"))" >>"$OUT/failures.txt"
}
JOBS=${AUDIT_JOBS:-3}
throttle() { while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done; }

[ "$QUICK" = "--summary" ] && SIZES=()
[ "$QUICK" = "--summary" ] || : >"$OUT/failures.txt"
for sz in "${SIZES[@]}"; do
  set -- $sz
  size=$1 scale=$2
  for theme in "${THEMES[@]}"; do
    for pres in "${PRESENTER[@]}"; do
      for t in "${TEXTS[@]}"; do
        tname=${t%%|*}; rest=${t#*|}; model=${rest%%|*}; text=${rest#*|}
        cfg="$size-x$scale-$theme-presenter_$pres-$tname"
        dir="$OUT/$cfg"; mkdir -p "$dir"
        args=(--size "$size" --ui-scale "$scale" --theme "$theme")
        [ "$pres" = on ] && args+=(--presenter)
        [ -n "$model" ] && args+=(--model "$model")
        [ -n "$text" ] && args+=(--text "$text")
        # One run per configuration: every view, then the lesson's steps ({view}{step} in the names).
        throttle; render "$dir" "{view}{step}" "${args[@]}" --view all --lesson all &
        # The Train view after a short run (its loss curves, legend and figures drawn), once
        # per size, theme and presenter mode: what it trains does not depend on the text.
        if [ "$tname" = "${TEXTS[0]%%|*}" ]; then
          throttle; render "$dir" "train-run" "${args[@]}" --view train --set train.steps=40 --set train.run=1 &
        fi
      done
    done
  done
done
wait

# Summary: per configuration, the screens rendered, the records, and those that break a rule.
# Statuses in capitals break one: CLIPPED (cut sideways, or wider than the room a panel gave it),
# CUT (a line cut through in a window that does not scroll), ELIDED (a figure's title, a number
# or a PCA label shortened with "..."), OVERLAP (two texts on each other),
# CONTRAST (below 4.5:1 on the pixels under it), OUT_OF_VIEW (key content out of view with no
# "more below" cue); pca.label.near CLIPPED: a PCA label nearer another point than its own.
# "elided" (allowed, counted): a caption or label shortened to fit, its whole text in a tooltip.
# Shapes ("mark" records: chips, PCA points, curves, legend swatches, the lesson's figures)
# break the same rules of being cut, and FAINT: under 3:1 on what they stand on.
count() { grep -h "^[a-z_.]*	$1	" "$2"/*.txt 2>/dev/null | grep -vc "^pca.label.near"; }
{
  echo "| configuration | screens | records | CLIPPED | CUT | ELIDED | OVERLAP | CONTRAST | OUT_OF_VIEW | label nearer another point | FAINT (shapes) | elided (allowed) | shapes | worst screens |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for dir in "$OUT"/*/; do
    cfg=$(basename "$dir")
    screens=$(ls "$dir"/*.txt 2>/dev/null | wc -l)
    records=$(cat "$dir"/*.txt 2>/dev/null | wc -l)
    near=$(grep -h "^pca.label.near	CLIPPED" "$dir"/*.txt 2>/dev/null | wc -l)
    worst=$(grep -c "	[A-Z_]*	" "$dir"/*.txt 2>/dev/null | sort -t: -k2 -nr | awk -F: '$2 > 0 {n = split($1, p, "/"); printf "%s%s (%d)", sep, p[n], $2; sep = ", "} NR >= 3 {exit}')
    echo "| $cfg | $screens | $records | $(count CLIPPED "$dir") | $(count CUT "$dir") | $(count ELIDED "$dir") | $(count OVERLAP "$dir") | $(count CONTRAST "$dir") | $(count OUT_OF_VIEW "$dir") | $near | $(count FAINT "$dir") | $(count elided "$dir") | $(grep -h "^mark	" "$dir"/*.txt 2>/dev/null | wc -l) | ${worst:--} |"
  done
  echo
  echo "Rule-breaking records over the whole matrix, by kind and status:"
  grep -h "	[A-Z_]*	" "$OUT"/*/*.txt 2>/dev/null | cut -f1,2 | sort | uniq -c | sort -nr | head -20
  echo
  echo "The most frequent rule-breaking texts:"
  grep -h "	[A-Z_]*	" "$OUT"/*/*.txt 2>/dev/null | awk -F'\t' '{print $2 ": " $NF}' | sort | uniq -c | sort -nr | head -25
  [ -s "$OUT/failures.txt" ] && { echo; echo "Renders that failed:"; cat "$OUT/failures.txt"; }
} | tee "$OUT/summary.md"
