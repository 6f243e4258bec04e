#!/usr/bin/env bash
# Retakes docs/screenshots with the current build, under Xvfb (Mesa's software OpenGL):
#   bash scripts/screenshots.sh [BUILD_DIR]
# The main set at 1280x800 (the README's table), the projector set at 1280x720 with UI scale 2
# in presenter mode (docs/screenshots/projector/), and a few that show one feature each.
# GPT-2's tokenizer files must be fetched (make run does it once).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build}"
bin="$build/app/embedscope"
out="$src/docs/screenshots"
mkdir -p "$out/projector"
text="the cat sat on the mat"
long="The teacher wrote a sentence on the board, and the students counted the tokens in the sentence."
shot() {  # file, then options
  local file=$1; shift
  xvfb-run -a -s "-screen 0 1920x1080x24" "$bin" --no-settings "$@" --screenshot "$file" >/dev/null
  echo "$file"
}
for v in tokens matrix pca schemes model vocab; do
  shot "$out/$v.png" --size 1280x800 --view "$v" --text "$text"
done
shot "$out/train.png" --size 1280x800 --view train --set train.steps=200 --set train.schemes=learned,rope,alibi \
  --set train.run=1 --set train.long=1
shot "$out/lesson.png" --size 1280x720 --ui-scale 1.5 --lesson 6
shot "$out/matrix-rope.png" --size 1280x800 --model gpt2-untrained --scheme rope --view matrix --text "$long"
shot "$out/matrix-gpt2-untrained.png" --size 1280x800 --model gpt2-untrained --view matrix --text "$long"
shot "$out/pca-gpt2-untrained-layers.png" --size 1280x800 --model gpt2-untrained --view pca \
  --set pca.vocab_layer=1 --set pca.position_layer=1 --text "$long"
shot "$out/pca-3d.png" --size 1280x800 --view pca --set pca.3d=1 --set pca.yaw=40 --set pca.pitch=20 --text "$text"
shot "$out/model-download.png" --size 1280x800 --view model --set model.tab=download
for v in tokens matrix pca schemes model; do
  shot "$out/projector/$v.png" --size 1280x720 --ui-scale 2 --presenter --model gpt2-untrained --view "$v" --text "$long"
done
shot "$out/projector/lesson.png" --size 1280x720 --ui-scale 2 --presenter --lesson 6
