#!/usr/bin/env bash
# Issue 12's social-media rows, end to end: data set-up, the common start (recipes/adapt/warmup.yaml),
# social-media DAPT and the biomedical DAPT control side by side, then WNUT-17 fine-tuning from the
# base encoder and from each DAPT model (recipes/sweeps/adapt-wnut.yaml). Stages whose model folder
# exists are skipped. From the repository root:
#   bash recipes/adapt/run-social.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/wnut
first_sentences $shared/ner-en/wnut17/train.conll 1000 > .cache/wnut/train-1000.conll

pretrain warmup
side_by_side dapt-social dapt-bio
$acclimate sweep --config recipes/sweeps/adapt-wnut.yaml --parallel 2
