#!/usr/bin/env bash
# Issue 24's profile, before and after, in one command:
#   bash bench/bf16-profile.sh [BEFORE_REV] [STEPS]     (defaults: 2b94e3a, the main this work started from; 10)
# 1. builds this tree's bench, and BEFORE_REV's library with this tree's bench/ in a temporary git
#    worktree (so both sides run the same benchmark code);
# 2. for CRF fine-tuning 16 x 64 and MLM 32 x 128, fp32 and bf16, 2 threads: one `perf record` per side,
#    before and after back to back, sampling only the timed steps; each is grouped by operator kind
#    (bench/perf-categories.py) with the work per step (CPU time outside libgomp's barrier wait, which
#    other jobs on shared cores inflate far less than wall time) — the before/after table;
# 3. the speed table of this tree: both precisions in one process with the same-run 1024^3 matmul rates,
#    the step's phases and the fair PyTorch peer (bench/pytorch_peer.py).
# Needs perf (kernel.perf_event_paranoid <= 2: user-space samples of our own processes) and git.
set -euo pipefail
cd "$(dirname "$0")/.."
before_rev=${1:-2b94e3a}
steps=${2:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/bf16-profile.XXXXXX")
cleanup() {
  git worktree remove --force "$work/before-tree" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build bench/Acclimate.Bench -c Release -nologo -v q >/dev/null
after=bench/Acclimate.Bench/bin/Release/net10.0/Acclimate.Bench.dll
git worktree add --detach "$work/before-tree" "$before_rev" >/dev/null 2>&1
rm -rf "$work/before-tree/bench" && cp -r bench "$work/before-tree/bench"
rm -rf "$work/before-tree/bench/Acclimate.Bench/bin" "$work/before-tree/bench/Acclimate.Bench/obj"
dotnet build "$work/before-tree/bench/Acclimate.Bench" -c Release -nologo -v q >/dev/null
before="$work/before-tree/bench/Acclimate.Bench/bin/Release/net10.0/Acclimate.Bench.dll"

lscpu | grep -E "Model name"
flags=$(grep -m1 '^flags' /proc/cpuinfo)
for f in avx512f avx512_bf16 amx_bf16 amx_tile; do
  if grep -qw "$f" <<<"$flags"; then echo "  $f: yes"; else echo "  $f: no"; fi
done
echo "before: $before_rev ($(git log -1 --format=%s "$before_rev" | cut -c1-80)); after: $(git rev-parse --short HEAD)"

maps_before=$(ls /tmp/perf-*.map 2>/dev/null || true)
if command -v perf >/dev/null; then
  for w in crf mlm; do
    for p in fp32 bf16; do
      for side in before after; do
        dll=$before; [ "$side" = after ] && dll=$after
        echo
        echo "== $side: $w $p, load average $(cut -d' ' -f1-3 /proc/loadavg) =="
        mkfifo "$work/ctl"
        # ONEDNN_JIT_PROFILE=2: oneDNN writes its JIT kernels to /tmp/perf-PID.map so perf can name them.
        ACCLIMATE_PERF_CTL="$work/ctl" ONEDNN_JIT_PROFILE=2 perf record -q -F 999 -D -1 --control "fifo:$work/ctl" -o "$work/$side-$w-$p.data" -- \
          dotnet "$dll" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work "$w" --precision "$p" --python none 2>/dev/null | tail -n 4
        rm -f "$work/ctl"
        python3 bench/perf-categories.py "$work/$side-$w-$p.data" --steps "$steps" --top 12
      done
    done
  done
else
  echo "perf not found: no per-operator profile"
fi
# The perf maps oneDNN wrote for our processes (the report above needed them).
for m in $(ls /tmp/perf-*.map 2>/dev/null || true); do grep -qxF "$m" <<<"$maps_before" || rm -f "$m"; done

echo
echo "== speed table, this tree (load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
dotnet "$after" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work crf
dotnet "$after" speed --threads 2 --steps "$steps" --warmup 3 --rss-steps 0 --work mlm
