#!/usr/bin/env bash
# Data-parallel equivalence (docs/scale-out.md): a tiny BERT (2 × 32) pretrained with MLM for 20
# updates on a global batch of 16 sequences (batch_size 8 × grad_accumulation 2), once as 1 rank
# (both micro-batches in one process) and once as 2 ranks (one micro-batch of 8 each, gradients
# summed by MPI all-reduce). Prints the per-step loss of both, the largest weight difference of the
# final models, and last `max |Δloss| = X over 20 steps`.
#   bench/mpi-equivalence.sh            needs mpirun (apt-get install openmpi-bin libopenmpi-dev)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
command -v mpirun >/dev/null || { echo "error: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
dotnet build src/Acclimate.Cli/Acclimate.Cli.csproj -c Release -nologo -v quiet >/dev/null
cli="$root/src/Acclimate.Cli/bin/Release/net10.0/Acclimate.Cli.dll"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 400 lines of random words from a fixed generator (awk's, seeded).
awk 'BEGIN { srand(1); n = split("the cat sat on mat a dog ran to park and saw bird in tree we walked home after rain stopped children played with ball near river old man read book quietly", w, " ");
  for (i = 0; i < 400; i++) { k = 6 + int(rand() * 8); s = ""; for (j = 0; j < k; j++) s = s (j ? " " : "") w[1 + int(rand() * n)]; print s "." } }' > "$work/train.txt"
cat > "$work/recipe.yaml" <<YAML
run:
  token_cache: $work/tokens
model:
  tokenizer: $root/tests/fixtures/tokenizers/bert-base-uncased
  architecture: bert
  hidden_size: 32
  num_layers: 2
  num_heads: 4
  intermediate_size: 48
  max_position_embeddings: 64
training:
  batch_size: 8
  grad_accumulation: 2
  max_steps: 20
  learning_rate: 1e-3
  log_every: 1
  threads: 1
  seed: 3
data:
  train: $work/train.txt
  block_size: 16
YAML
mpi="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"
for n in 1 2; do
  $mpi -np $n dotnet "$cli" pretrain --config "$work/recipe.yaml" "run.folder=$work/np$n" > "$work/np$n.log" 2>&1 \
    || { tail -20 "$work/np$n.log"; exit 1; }
done
lscpu | grep "Model name" || true
python3 - "$work" <<'PY'
import json, struct, sys
work = sys.argv[1]
def losses(n):
    return {r["step"]: r for r in map(json.loads, open(f"{work}/np{n}/metrics.jsonl")) if "loss" in r}
def tensors(n):
    raw = open(f"{work}/np{n}/model/model.safetensors", "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32": continue
        a, b = info["data_offsets"]
        out[name] = struct.unpack(f"<{(b - a) // 4}f", raw[8 + size + a: 8 + size + b])
    return out
one, two = losses(1), losses(2)
print(f"{'step':>4}  {'1 rank × (8+8)':>16}  {'2 ranks × 8':>16}  {'|Δloss|':>9}  {'all-reduce s':>12}")
for s in sorted(one):
    print(f"{s:>4}  {one[s]['loss']:>16.10f}  {two[s]['loss']:>16.10f}  {abs(one[s]['loss'] - two[s]['loss']):>9.2e}  {two[s].get('allreduce_seconds', float('nan')):>12.4f}")
w1, w2 = tensors(1), tensors(2)
print(f"max |Δweight| = {max(max(abs(x - y) for x, y in zip(w1[k], w2[k])) for k in w1):.3g} over {sum(len(v) for v in w1.values()):,} weights")
print(f"max |Δloss| = {max(abs(one[s]['loss'] - two[s]['loss']) for s in one):.3g} over {len(one)} steps")
PY
