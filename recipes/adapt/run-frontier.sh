#!/usr/bin/env bash
# Issue 26, the forgetting frontier, end to end (stages whose outputs exist are skipped):
#  1. the forgetting table's data and general masked-LM (recipes/adapt/forgetting/setup.sh);
#  2. biomedical DAPT from it, plain and with rehearsal shares, EWC, L2-SP, LoRA ranks and LoRA +
#     rehearsal, two pretraining runs each (recipes/sweeps/frontier-dapt.yaml, 2 at a time);
#  3. WiSE-FT: the start interpolated towards each plain run at α 0.25, 0.5, 0.75 (acclimate model
#     interpolate; α = 1 is plain DAPT);
#  4. acclimate frontier: held-out MLM loss of every model on the eval sets (PubMed: the last 240
#     abstracts; Brown: the 39 held-out documents; the same masks for all), the frontier table and
#     plot in runs/sweeps/frontier-dapt/frontier/.
# Run from the repository root: bash recipes/adapt/run-frontier.sh   (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" for a copied build)
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/forgetting/setup.sh"

$acclimate sweep --config recipes/sweeps/frontier-dapt.yaml --parallel 2

start=runs/adapt/forgetting/general-mlm/model
sweep=runs/sweeps/frontier-dapt
models=()
for run in 1 2; do
  for a in 0.25 0.5 0.75; do
    out=runs/adapt/frontier/wise-$a/run-$run
    [ -d "$out" ] || $acclimate model interpolate --from "$start" --to "$sweep/plain/seed-$run/model" --alpha "$a" --output "$out"
    models+=(--model "wise-$a=$out")
  done
done
for setting in $(ls "$sweep"); do
  for run in 1 2; do
    [ -d "$sweep/$setting/seed-$run/model" ] && models+=(--model "$setting=$sweep/$setting/seed-$run/model")
  done
done
$acclimate frontier --start "$start" "${models[@]}" --reference plain \
  --domain .cache/pubmed/eval.txt --general .cache/brown-learned/general-eval.txt \
  --out "$sweep/frontier" --max-blocks 256 --threads 2
