#!/usr/bin/env bash
# Issue 23's NCBI-disease re-run (recipes/sweeps/verdicts-ncbi.yaml): the data set-up and the common
# start of run.sh, then one sweep that pretrains every adapted arm twice and fine-tunes every model
# with five seeds. Resumable: run it again after an interruption. From the repository root:
#   bash recipes/adapt/run-verdicts.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/ncbi
first_sentences $shared/ner-bio/ncbi_disease/train.conll 1000 > .cache/ncbi/train-1000.conll
conll_to_text .cache/ncbi/train-1000.conll > .cache/ncbi/train-1000.txt
conll_to_text $shared/ner-bio/ncbi_disease/dev.conll > .cache/ncbi/dev.txt

pretrain warmup
$acclimate sweep --config recipes/sweeps/verdicts-ncbi.yaml "$@"
