#!/usr/bin/env bash
# Masked-token perplexity of the forgetting table's models on the two eval sets (Brown: 39 held-out
# documents; PubMed: 240 held-out abstracts), the same masks for every model (eval-mlm fixes the
# masking seed), as a TSV on standard output. Models: the general start and every row of
# recipes/sweeps/forgetting-dapt.yaml that has finished.
#   bash recipes/adapt/forgetting/perplexity.sh > runs/sweeps/forgetting-dapt/perplexity.tsv
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
sets=(.cache/brown-learned/general-eval.txt .cache/pubmed/eval.txt)
printf 'model\tbrown_eval\tpubmed_eval\n'
for m in runs/adapt/forgetting/general-mlm/model runs/sweeps/forgetting-dapt/*/seed-1/model; do
  [ -d "$m" ] || continue
  printf '%s' "$m"
  for s in "${sets[@]}"; do
    ppl=$($acclimate eval-mlm --model "$m" --corpus "$s" --max-blocks 256 --threads 1 | grep -oE 'perplexity [0-9.]+' | head -n1 | cut -d' ' -f2)
    printf '\t%s' "$ppl"
  done
  printf '\n'
done
