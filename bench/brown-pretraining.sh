#!/usr/bin/env bash
# The Brown pretraining experiment of docs/pretraining.md, end to end, one torch thread per run:
#   1. split Brown by document: genre "learned" = domain, the 14 other genres = general; 10% of the
#      documents of each side held out (hash of the document id), one document per line;
#   2. an 8k WordPiece vocabulary trained on the two training sides;
#   3. a small BERT (4 × 256) pretrained from scratch on the general side (recipes/scratch-bert-small.yaml);
#   4. DAPT on the domain side from that model: plain, + EWC, + rehearsal, + L2-SP (same steps and seed);
#   5. ELECTRA-small vs MLM at equal training wall-clock, then the same short POS fine-tuning of both
#      (and of the general model and of a randomly initialized encoder, for reference);
#   6. the table of held-out perplexities before/after.
# Stages whose output exists are skipped (delete runs/brown/<stage> to redo one).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export ACCLIMATE_CACHE=${ACCLIMATE_CACHE:-$root/.cache/acclimate}
bench="dotnet bench/Acclimate.Bench/bin/Release/net10.0/Acclimate.Bench.dll"
dotnet build bench/Acclimate.Bench -c Release -nologo -v quiet >/dev/null

[ -f .cache/brown-learned/general-train.txt ] || ./acclimate data split-brown --out .cache/brown-learned --genre learned --held-out 0.1
[ -f .cache/brown-vocab-8k/vocab.txt ] || $bench brown-vocab --out .cache/brown-vocab-8k --vocab-size 8000 \
    .cache/brown-learned/general-train.txt .cache/brown-learned/domain-train.txt

run() {  # run <folder> <recipe> [overrides…]
  local folder=$1; shift
  if [ -f "$folder/forgetting.json" ]; then echo "skip $folder (done)"; return; fi
  rm -rf "$folder"
  mkdir -p "$(dirname "$folder")"
  ./acclimate pretrain --config "$@" > "$folder.log" 2>&1 || { tail -20 "$folder.log"; exit 1; }
  grep -E "held-out|done:" "$folder.log"
}

run runs/brown/general recipes/scratch-bert-small.yaml
run runs/brown/dapt recipes/dapt.yaml
run runs/brown/dapt-ewc recipes/dapt-ewc.yaml
run runs/brown/dapt-rehearsal recipes/dapt-rehearsal.yaml
run runs/brown/dapt-l2sp recipes/dapt-l2sp.yaml
run runs/brown/electra-timed recipes/electra-small.yaml
run runs/brown/mlm-timed recipes/mlm-small-timed.yaml

for model in runs/brown/mlm-timed/model runs/brown/electra-timed/model runs/brown/general/model; do
  [ -f "$model.pos.txt" ] || $bench pos-probe --model "$model" --steps 300 --threads 1 | tee "$model.pos.txt"
done
# The floor: the same shape with fresh weights (no pretraining), same probe.
[ -f runs/brown/random-init.pos.txt ] || $bench pos-probe --model runs/brown/mlm-timed/model --steps 300 --threads 1 --random-init | tee runs/brown/random-init.pos.txt

$bench brown-table runs/brown/general runs/brown/dapt runs/brown/dapt-ewc runs/brown/dapt-rehearsal runs/brown/dapt-l2sp | tee runs/brown/table.md
