#!/usr/bin/env bash
# Issue 12's ChemProt rows, end to end: the training slice and TAPT text, ChemProt TAPT and DAPT +
# TAPT side by side, then the sweep (recipes/sweeps/adapt-chemprot.yaml: base, biomedical DAPT, the
# social-media DAPT control, TAPT, DAPT + TAPT × 3 seeds). The warm-up and both DAPT models are
# run.sh's and run-social.sh's (run them first). Stages whose model folder exists are skipped.
# Needs jq. From the repository root:
#   bash recipes/adapt/run-chemprot.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/chemprot
chemprot=$shared/cls-domain/chemprot
# 1,502 of the 4,169 training examples: lines 25k .. 25k + 8 (runs of the same sentence with
# different marked pairs stay together, so the slice holds 661 distinct sentences).
awk 'NR % 25 < 9' $chemprot/train.jsonl > .cache/chemprot/train-1500.jsonl
# TAPT text and its held-out set: each distinct sentence once, entity markers removed.
sentences() { jq -r .text "$1" | sed -E 's/<< | >>|\[\[ | \]\]//g' | awk '!seen[$0]++'; }
sentences .cache/chemprot/train-1500.jsonl > .cache/chemprot/train-1500.txt
sentences $chemprot/dev.jsonl > .cache/chemprot/dev.txt

for model in warmup dapt-bio dapt-social; do
  [ -d runs/adapt/$model/model ] || { echo "runs/adapt/$model/model is missing: run recipes/adapt/run.sh (or run-social.sh) first" >&2; exit 1; }
done
side_by_side tapt-chemprot dapt-tapt-chemprot
$acclimate sweep --config recipes/sweeps/adapt-chemprot.yaml --parallel 2
$acclimate sweep --config recipes/sweeps/adapt-chemprot.yaml --report --metric test.macro_f1
