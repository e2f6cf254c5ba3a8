#!/usr/bin/env bash
# Issue 24's profile in one command: the speed table (fp32 and bf16 back to back in one process, with
# the phases of a step timed separately, the same-run 1024^3 matmul rates and the fair PyTorch peer),
# then one `perf record` per configuration — CRF fine-tuning 16 x 64 and MLM 32 x 128, fp32 and bf16,
# 2 threads — sampling only the timed steps, grouped by operator kind (bench/perf-categories.py).
#   bash bench/bf16-profile.sh [STEPS]        (default 10 timed steps after 3 warm-up)
# Needs perf (kernel.perf_event_paranoid <= 2 suffices: user-space samples of our own process).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
dotnet build bench/Acclimate.Bench -c Release -nologo -v q >/dev/null
bench=bench/Acclimate.Bench/bin/Release/net10.0/Acclimate.Bench.dll
lscpu | grep -E "Model name"
flags=$(grep -m1 '^flags' /proc/cpuinfo)
for f in avx512f avx512_bf16 amx_bf16 amx_tile; do
  if grep -qw "$f" <<<"$flags"; then echo "  $f: yes"; else echo "  $f: no"; fi
done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== speed table (both precisions in one process, then the peer) =="
dotnet "$bench" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work crf
dotnet "$bench" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work mlm
work=$(mktemp -d "${TMPDIR:-/tmp}/bf16-profile.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! command -v perf >/dev/null; then echo "perf not found: no per-operator profile"; exit 0; fi
for w in crf mlm; do
  for p in fp32 bf16; do
    echo
    echo "== perf: $w $p ($(cut -d' ' -f1-3 /proc/loadavg)) =="
    mkfifo "$work/ctl"
    ACCLIMATE_PERF_CTL="$work/ctl" ONEDNN_JIT_PROFILE=2 perf record -q -F 999 -D -1 --control "fifo:$work/ctl" -o "$work/$w-$p.data" -- \
      dotnet "$bench" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work "$w" --precision "$p" --python none 2>/dev/null | tail -n 3
    rm -f "$work/ctl"
    python3 bench/perf-categories.py "$work/$w-$p.data" --top 12
  done
done
