#!/usr/bin/env bash
# Issue 23's re-runs to the verdicts' standard: NCBI-disease (recipes/sweeps/verdicts-ncbi.yaml), then
# ChemProt and the Broad Twitter Corpus (verdicts-chemprot.yaml, verdicts-btc.yaml), which reuse the
# NCBI sweep's DAPT runs. Each sweep pretrains every adapted arm twice and fine-tunes every model
# with five seeds; the data set-up is that of run.sh, run-chemprot.sh (needs jq) and run-social.sh.
# Resumable: run it again after an interruption. From the repository root:
#   bash recipes/adapt/run-verdicts.sh [--parallel N]     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/ncbi .cache/chemprot .cache/btc
first_sentences $shared/ner-bio/ncbi_disease/train.conll 1000 > .cache/ncbi/train-1000.conll
conll_to_text .cache/ncbi/train-1000.conll > .cache/ncbi/train-1000.txt
conll_to_text $shared/ner-bio/ncbi_disease/dev.conll > .cache/ncbi/dev.txt

chemprot=$shared/cls-domain/chemprot
awk 'NR % 25 < 9' $chemprot/train.jsonl > .cache/chemprot/train-1500.jsonl
sentences() { jq -r .text "$1" | sed -E 's/<< | >>|\[\[ | \]\]//g' | awk '!seen[$0]++'; }
sentences .cache/chemprot/train-1500.jsonl > .cache/chemprot/train-1500.txt
sentences $chemprot/dev.jsonl > .cache/chemprot/dev.txt

awk 'BEGIN { RS = ""; ORS = "\n\n" } (NR - 1) % 6 == 0 && k < 1000 { print; k++ }' $shared/ner-en/broad_twitter_corpus/train.conll > .cache/btc/train-1000.conll

pretrain warmup
for task in ncbi chemprot btc; do
  $acclimate sweep --config recipes/sweeps/verdicts-$task.yaml "$@"
done
$acclimate sweep --config recipes/sweeps/verdicts-chemprot.yaml --report --metric test.macro_f1
