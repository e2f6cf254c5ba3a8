#!/usr/bin/env bash
# Masked-token perplexity of models on held-out sets as a TSV on standard output, the same masks for
# every model (acclimate eval-mlm fixes the masking seed), at most 256 blocks of 128 tokens per set.
# Arguments: LABEL=MODEL_FOLDER ... -- COLUMN=CORPUS ...  (a model whose folder is missing is skipped).
#   bash recipes/adapt/perplexity-table.sh warmup=runs/adapt/warmup/model -- brown=.cache/brown-learned/general-eval.txt
# Used by perplexity-matrix.sh and forgetting/perplexity.sh.
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
models=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do models+=("$1"); shift; done
[ $# -gt 0 ] || { echo "usage: $0 LABEL=MODEL_FOLDER ... -- COLUMN=CORPUS ..." >&2; exit 2; }
shift
sets=("$@")
[ ${#models[@]} -gt 0 ] && [ ${#sets[@]} -gt 0 ] || { echo "usage: $0 LABEL=MODEL_FOLDER ... -- COLUMN=CORPUS ..." >&2; exit 2; }
printf 'model'; for s in "${sets[@]}"; do printf '\t%s' "${s%%=*}"; done; printf '\n'
for m in "${models[@]}"; do
  folder=${m#*=}
  [ -d "$folder" ] || continue
  printf '%s' "${m%%=*}"
  for s in "${sets[@]}"; do
    ppl=$($acclimate eval-mlm --model "$folder" --corpus "${s#*=}" --max-blocks 256 --threads 1 | grep -oE 'perplexity [0-9.]+' | head -n1 | cut -d' ' -f2)
    printf '\t%s' "$ppl"
  done
  printf '\n'
done
