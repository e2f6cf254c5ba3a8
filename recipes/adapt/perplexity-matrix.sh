#!/usr/bin/env bash
# Masked-token perplexity of every model of recipes/adapt/ on every held-out set (the same masks for
# every model: acclimate eval-mlm fixes the masking seed), as a TSV on standard output.
#   bash recipes/adapt/perplexity-matrix.sh > docs/adaptation-runs/perplexity-matrix.tsv
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
sets=(".cache/brown-learned/general-eval.txt" ".cache/pubmed/eval.txt" ".cache/social/eval.txt" ".cache/ncbi/dev.txt")
printf 'model'; for s in "${sets[@]}"; do printf '\t%s' "$s"; done; printf '\n'
for m in warmup dapt-bio dapt-social tapt-ncbi dapt-tapt-ncbi; do
  printf '%s' "$m"
  for s in "${sets[@]}"; do
    ppl=$($acclimate eval-mlm --model "runs/adapt/$m/model" --corpus "$s" --max-blocks 256 --threads 1 | grep -oE 'perplexity [0-9.]+' | head -n1 | cut -d' ' -f2)
    printf '\t%s' "$ppl"
  done
  printf '\n'
done
