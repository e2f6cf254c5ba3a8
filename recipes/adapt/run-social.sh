#!/usr/bin/env bash
# Issue 12's social-media rows, end to end: data set-up, the common start (recipes/adapt/warmup.yaml),
# social-media DAPT and the biomedical DAPT control side by side, then WNUT-17 fine-tuning from the
# base encoder and from each DAPT model (recipes/sweeps/adapt-wnut.yaml), then Broad Twitter Corpus
# NER from the same models (recipes/sweeps/adapt-btc.yaml). Stages whose model folder
# exists are skipped. From the repository root:
#   bash recipes/adapt/run-social.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/wnut .cache/btc
first_sentences $shared/ner-en/wnut17/train.conll 1000 > .cache/wnut/train-1000.conll
# BTC's training file is ordered by section and its first sections are sparse (0.52 entities per
# sentence in the first 1,000 vs 1.39 overall, 1.73 in dev): take every 6th sentence instead (1.36).
awk 'BEGIN { RS = ""; ORS = "\n\n" } (NR - 1) % 6 == 0 && k < 1000 { print; k++ }' $shared/ner-en/broad_twitter_corpus/train.conll > .cache/btc/train-1000.conll

pretrain warmup
side_by_side dapt-social dapt-bio
$acclimate sweep --config recipes/sweeps/adapt-wnut.yaml --parallel 2
$acclimate sweep --config recipes/sweeps/adapt-btc.yaml --parallel 2
