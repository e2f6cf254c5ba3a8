#!/usr/bin/env bash
# Issue 12's social-media rows, end to end: data set-up, the common start (recipes/adapt/warmup.yaml),
# social-media DAPT and the biomedical DAPT control side by side, TAPT on each task's training text
# (tapt-wnut.yaml, tapt-btc.yaml) side by side, then WNUT-17 fine-tuning from the base encoder and
# from each of those models (recipes/sweeps/adapt-wnut.yaml), then Broad Twitter Corpus NER
# (recipes/sweeps/adapt-btc.yaml). Stages whose model folder
# exists are skipped. From the repository root:
#   bash recipes/adapt/run-social.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p .cache/wnut .cache/btc
first_sentences $shared/ner-en/wnut17/train.conll 1000 > .cache/wnut/train-1000.conll
# BTC's training file is ordered by section and its first sections are sparse (0.52 entities per
# sentence in the first 1,000 vs 1.39 overall, 1.73 in dev): take every 6th sentence instead (1.36).
awk 'BEGIN { RS = ""; ORS = "\n\n" } (NR - 1) % 6 == 0 && k < 1000 { print; k++ }' $shared/ner-en/broad_twitter_corpus/train.conll > .cache/btc/train-1000.conll

# TAPT text: each task's 1,000 training sentences, one per line; their dev sentences for held-out perplexity.
for task in wnut btc; do conll_to_text .cache/$task/train-1000.conll > .cache/$task/train-1000.txt; done
conll_to_text $shared/ner-en/wnut17/dev.conll > .cache/wnut/dev.txt
conll_to_text $shared/ner-en/broad_twitter_corpus/dev.conll > .cache/btc/dev.txt

pretrain warmup
side_by_side dapt-social dapt-bio
side_by_side tapt-wnut tapt-btc
$acclimate sweep --config recipes/sweeps/adapt-wnut.yaml --parallel 2
$acclimate sweep --config recipes/sweeps/adapt-btc.yaml --parallel 2
