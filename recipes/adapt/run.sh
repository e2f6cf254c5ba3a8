#!/usr/bin/env bash
# Issue 12's biomedical table, end to end: data set-up, the common start, DAPT (biomedical and the
# social-media control), TAPT and DAPT+TAPT, then the fine-tuning sweep. Stages whose model folder
# exists are skipped, so a rerun continues where it stopped. Run from the repository root:
#   bash recipes/adapt/run.sh            (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The first 1,000 NCBI-disease training sentences, as CoNLL (fine-tuning) and as text (TAPT).
mkdir -p .cache/ncbi
first_sentences $shared/ner-bio/ncbi_disease/train.conll 1000 > .cache/ncbi/train-1000.conll
conll_to_text .cache/ncbi/train-1000.conll > .cache/ncbi/train-1000.txt
conll_to_text $shared/ner-bio/ncbi_disease/dev.conll > .cache/ncbi/dev.txt

pretrain warmup
side_by_side dapt-bio dapt-social
side_by_side tapt-ncbi dapt-tapt-ncbi
$acclimate sweep --config recipes/sweeps/adapt-ncbi.yaml --parallel 2
