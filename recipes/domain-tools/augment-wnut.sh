#!/usr/bin/env bash
# Issue 13 (c), end to end: target-data augmentation on a low-resource slice of WNUT-17 (500 training
# sentences), 3 seeds. From the repository root:
#   bash recipes/domain-tools/augment-wnut.sh     (ACCLIMATE="dotnet /path/Acclimate.Cli.dll" for a copied build)
set -euo pipefail
acclimate=${ACCLIMATE:-./acclimate}
[ -d runs/encoders/all-MiniLM-L6-v2 ] || $acclimate model fetch all-MiniLM-L6-v2 --output runs/encoders/all-MiniLM-L6-v2
mkdir -p .cache/wnut
awk '{ if ($0 == "") { n++; if (n >= 500) exit } print } END { print "" }' \
  ../shared/data/ner-en/wnut17/train.conll > .cache/wnut/train-500.conll
$acclimate augment --method mention --in .cache/wnut/train-500.conll --out .cache/wnut/train-500-mention.conll --n 1 --seed 1
$acclimate augment --method sr --in .cache/wnut/train-500.conll --out .cache/wnut/train-500-sr.conll --n 1 --seed 1
$acclimate sweep --config recipes/sweeps/augment-wnut.yaml --parallel 2
