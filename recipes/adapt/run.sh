#!/usr/bin/env bash
# Issue 12's biomedical table, end to end: data set-up, the common start, DAPT (biomedical and the
# social-media control), TAPT and DAPT+TAPT, then the fine-tuning sweep. Stages whose model folder
# exists are skipped, so a rerun continues where it stopped. Run from the repository root:
#   bash recipes/adapt/run.sh            (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" to use a copied build)
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
shared=../shared/data

# Data: the splits the recipes name (all derived from ../shared/data and Brown, deterministic).
[ -d runs/encoders/all-MiniLM-L6-v2 ] || $acclimate model fetch all-MiniLM-L6-v2 --output runs/encoders/all-MiniLM-L6-v2
[ -f .cache/brown-learned/general-eval.txt ] || $acclimate data split-brown --out .cache/brown-learned --genre learned
mkdir -p .cache/pubmed .cache/social .cache/ncbi
pubmed=$shared/unlabeled/pubmed_genia_abstracts/corpus.txt
head -n 2161 "$pubmed" > .cache/pubmed/train.txt
tail -n 240 "$pubmed" > .cache/pubmed/eval.txt
social=$shared/unlabeled/social_media_wnut17_raw/corpus.txt
head -n 91854 "$social" > .cache/social/train.txt
tail -n 4000 "$social" > .cache/social/eval.txt
# The first 1,000 NCBI-disease training sentences, as CoNLL (fine-tuning) and as text (TAPT).
awk '{ if ($0 == "") { n++; if (n >= 1000) exit } print } END { print "" }' \
  $shared/ner-bio/ncbi_disease/train.conll > .cache/ncbi/train-1000.conll
conll_to_text() { awk 'BEGIN { RS = ""; FS = "\n" } { s = ""; for (i = 1; i <= NF; i++) { split($i, a, "\t"); s = s (i > 1 ? " " : "") a[1] } print s }' "$1"; }
conll_to_text .cache/ncbi/train-1000.conll > .cache/ncbi/train-1000.txt
conll_to_text $shared/ner-bio/ncbi_disease/dev.conll > .cache/ncbi/dev.txt

pretrain() { [ -d "runs/adapt/$1/model" ] || $acclimate pretrain --config "recipes/adapt/$1.yaml" > "runs/adapt/$1.log" 2>&1; }
mkdir -p runs/adapt
pretrain warmup
side_by_side() { pretrain "$1" & local a=$!; pretrain "$2" & local b=$!; wait $a; wait $b; }
side_by_side dapt-bio dapt-social
side_by_side tapt-ncbi dapt-tapt-ncbi
$acclimate sweep --config recipes/sweeps/adapt-ncbi.yaml --parallel 2
