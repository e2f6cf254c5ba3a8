#!/usr/bin/env bash
# Issue 13 (b), end to end: kNN-curated TAPT vs plain TAPT on NCBI-disease. Needs recipes/adapt/run.sh
# first (the encoder, the common start runs/adapt/warmup, TAPT, the NCBI and PubMed splits).
# Stages whose output exists are skipped. From the repository root:
#   bash recipes/domain-tools/curated-tapt.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" for a copied build)
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
mkdir -p .cache/curated runs/domain-tools
# The pool: the 2,161 PubMed/GENIA training abstracts split into sentences (20,295).
[ -f .cache/curated/pubmed-sentences.txt ] ||
  perl -ne 'chomp; for my $s (split /(?<=[.!?])\s+(?=[A-Z(\[])/) { print "$s\n" if $s =~ /\S/ }' \
    .cache/pubmed/train.txt > .cache/curated/pubmed-sentences.txt
# kNN selection: each of the 1,000 task sentences' 2 nearest pool sentences (5+ words), de-duplicated: 955.
[ -f .cache/curated/knn-k2.txt ] ||
  $acclimate select --method knn --target .cache/ncbi/train-1000.txt --pool .cache/curated/pubmed-sentences.txt \
    --output .cache/curated/knn-k2.txt --k 2 --min-words 5 --model runs/encoders/all-MiniLM-L6-v2 --scores .cache/curated/knn-k2.tsv
selected=$(wc -l < .cache/curated/knn-k2.txt)
# The control: as many pool sentences (5+ words) drawn at random, seeded.
[ -f .cache/curated/random-$selected.txt ] ||
  awk 'NF >= 5' .cache/curated/pubmed-sentences.txt |
    shuf -n "$selected" --random-source=<(openssl enc -aes-256-ctr -pass pass:1 -nosalt < /dev/zero 2> /dev/null) \
    > ".cache/curated/random-$selected.txt"
cat .cache/ncbi/train-1000.txt .cache/curated/knn-k2.txt > .cache/curated/knn-tapt-ncbi.txt
cat .cache/ncbi/train-1000.txt ".cache/curated/random-$selected.txt" > .cache/curated/random-tapt-ncbi.txt

pretrain() { [ -d "runs/domain-tools/$1/model" ] || $acclimate pretrain --config "recipes/domain-tools/$1.yaml" > "runs/domain-tools/$1.log" 2>&1; }
pretrain knn-tapt-ncbi & a=$!; pretrain random-tapt-ncbi & b=$!; wait $a; wait $b
# base and tapt cells are those of recipes/sweeps/adapt-ncbi.yaml: reuse them when that sweep ran.
for s in base tapt; do
  [ -d runs/sweeps/curated-tapt-ncbi/$s ] || [ ! -d runs/sweeps/adapt-ncbi/$s ] ||
    { mkdir -p runs/sweeps/curated-tapt-ncbi && cp -r runs/sweeps/adapt-ncbi/$s runs/sweeps/curated-tapt-ncbi/; }
done
$acclimate sweep --config recipes/sweeps/curated-tapt-ncbi.yaml --parallel 2
