#!/usr/bin/env bash
# Issue 12, the forgetting table, end to end (stages whose outputs exist are skipped):
#  1. data: Brown and PubMed training text each lose a dev slice (λ is chosen on it, never on the
#     table's eval sets);
#  2. a general masked-LM to forget: the common warm-up continued on Brown (forgetting/general-mlm.yaml);
#  3. biomedical DAPT from it, plain and with rehearsal / L2-SP / EWC at several strengths
#     (recipes/sweeps/forgetting-dapt.yaml, 2 runs at a time);
#  4. masked-token perplexity of every model on the eval sets (Brown 39 documents, PubMed 240
#     abstracts; the same masks for every model) -> runs/sweeps/forgetting-dapt/perplexity.tsv;
#  5. Brown POS fine-tuned from the start model, plain DAPT and each control's chosen strength,
#     3 seeds (recipes/sweeps/forgetting-pos.yaml).
# Run from the repository root: bash recipes/adapt/run-forgetting.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/forgetting/setup.sh"
$acclimate sweep --config recipes/sweeps/forgetting-dapt.yaml --parallel 2

out=runs/sweeps/forgetting-dapt/perplexity.tsv
[ -f "$out" ] || { bash recipes/adapt/forgetting/perplexity.sh > "$out.tmp" && mv "$out.tmp" "$out"; }
$acclimate sweep --config recipes/sweeps/forgetting-pos.yaml --parallel 2
