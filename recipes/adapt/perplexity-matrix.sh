#!/usr/bin/env bash
# Masked-token perplexity of every model of recipes/adapt/ on every held-out set (the same masks for
# every model: acclimate eval-mlm fixes the masking seed), as a TSV on standard output.
#   bash recipes/adapt/perplexity-matrix.sh > docs/adaptation-runs/perplexity-matrix.tsv
set -euo pipefail
models=()
for m in warmup dapt-bio dapt-social tapt-ncbi dapt-tapt-ncbi; do models+=("$m=runs/adapt/$m/model"); done
sets=()
for s in .cache/brown-learned/general-eval.txt .cache/pubmed/eval.txt .cache/social/eval.txt .cache/ncbi/dev.txt; do sets+=("$s=$s"); done
exec bash "$(dirname "${BASH_SOURCE[0]}")/perplexity-table.sh" "${models[@]}" -- "${sets[@]}"
