#!/usr/bin/env bash
# Masked-token perplexity of the forgetting table's models on the two eval sets (Brown: 39 held-out
# documents; PubMed: 240 held-out abstracts), the same masks for every model (eval-mlm fixes the
# masking seed), as a TSV on standard output. Models: the general start and every row of
# recipes/sweeps/forgetting-dapt.yaml that has finished.
#   bash recipes/adapt/forgetting/perplexity.sh > runs/sweeps/forgetting-dapt/perplexity.tsv
set -euo pipefail
models=()
for m in runs/adapt/forgetting/general-mlm/model runs/sweeps/forgetting-dapt/*/seed-1/model; do models+=("$m=$m"); done
exec bash "$(dirname "${BASH_SOURCE[0]}")/../perplexity-table.sh" "${models[@]}" -- brown_eval=.cache/brown-learned/general-eval.txt pubmed_eval=.cache/pubmed/eval.txt
