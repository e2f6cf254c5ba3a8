#!/usr/bin/env bash
# Data-parallel scaling on one machine (docs/scale-out.md): MLM pretraining steps of a model with
# all-MiniLM-L6-v2's shapes (6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522; random init)
# on a global batch of 16 sequences × 128 tokens, as
#   A: 1 process  × 2 torch threads (batch_size 8 × grad_accumulation 2, no MPI)
#   B: 2 ranks    × 1 torch thread  (mpirun -np 2: one micro-batch of 8 per rank)
# REPEATS times each (default 3), alternating. Per run: the median over updates 3…STEPS of the
# step's tokens/s and (B) of its all-reduce seconds; then the medians over runs and B/A.
#   bench/mpi-scaling.sh [STEPS=12] [REPEATS=3]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
steps=${1:-12}; repeats=${2:-3}
command -v mpirun >/dev/null || { echo "error: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
dotnet build src/Acclimate.Cli/Acclimate.Cli.csproj -c Release -nologo -v quiet >/dev/null
cli="$root/src/Acclimate.Cli/bin/Release/net10.0/Acclimate.Cli.dll"
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
awk 'BEGIN { srand(7); n = split("the cat sat on mat a dog ran to park and saw bird in tree we walked home after rain stopped children played with ball near river old man read book quietly protein cell gene binding expression", w, " ");
  for (i = 0; i < 6000; i++) { k = 8 + int(rand() * 20); s = ""; for (j = 0; j < k; j++) s = s (j ? " " : "") w[1 + int(rand() * n)]; print s "." } }' > "$work/train.txt"
cat > "$work/recipe.yaml" <<YAML
run:
  token_cache: $work/tokens
model:
  tokenizer: $root/tests/fixtures/tokenizers/bert-base-uncased
  architecture: bert
  hidden_size: 384
  num_layers: 6
  num_heads: 12
  intermediate_size: 1536
  max_position_embeddings: 512
training:
  batch_size: 8
  grad_accumulation: 2
  max_steps: $steps
  learning_rate: 1e-4
  log_every: 1
  save_every: 0
  seed: 3
data:
  train: $work/train.txt
  block_size: 128
YAML
mpi="mpirun --oversubscribe --bind-to none"
[ "$(id -u)" = 0 ] && mpi="$mpi --allow-run-as-root"
lscpu | grep "Model name" || true
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$repeats"); do
  rm -rf "$work/a$r" "$work/b$r"
  dotnet "$cli" pretrain --config "$work/recipe.yaml" "run.folder=$work/a$r" training.threads=2 > "$work/a$r.log" 2>&1 || { tail "$work/a$r.log"; exit 1; }
  $mpi -np 2 dotnet "$cli" pretrain --config "$work/recipe.yaml" "run.folder=$work/b$r" training.threads=1 > "$work/b$r.log" 2>&1 || { tail "$work/b$r.log"; exit 1; }
  echo "repeat $r done (load $(cut -d' ' -f1 /proc/loadavg))"
done
python3 - "$work" "$repeats" <<'PY'
import json, statistics as st, sys
work, repeats = sys.argv[1], int(sys.argv[2])
def run(name):
    rows = [r for r in map(json.loads, open(f"{work}/{name}/metrics.jsonl")) if "tokens_per_second" in r and r["step"] >= 3]
    tps = st.median(r["tokens_per_second"] for r in rows)
    step = st.median(1 / r["steps_per_second"] for r in rows)
    ar = st.median(r["allreduce_seconds"] for r in rows) if "allreduce_seconds" in rows[0] else float("nan")
    return tps, step, ar
a = [run(f"a{r}") for r in range(1, repeats + 1)]
b = [run(f"b{r}") for r in range(1, repeats + 1)]
print(f"{'run':<28} {'tokens/s (per run)':<30} {'median':>8} {'s/update':>9} {'all-reduce s/update':>20}")
for name, rows in (("A: 1 process × 2 threads", a), ("B: 2 ranks × 1 thread", b)):
    print(f"{name:<28} {', '.join(f'{x[0]:.0f}' for x in rows):<30} {st.median(x[0] for x in rows):>8.0f} {st.median(x[1] for x in rows):>9.3f} {st.median(x[2] for x in rows):>20.3f}")
print(f"B/A tokens/s: {st.median(x[0] for x in b) / st.median(x[0] for x in a):.2f}; all-reduce share of B's update: {st.median(x[2] for x in b) / st.median(x[1] for x in b):.1%}")
PY
