#!/usr/bin/env python3
"""Data-parallel scaling model of docs/scale-out.md.

Weak scaling: every host keeps the per-host batch whose compute time per update was measured
(--minilm-step, --bert-step seconds); an update on N hosts costs that compute plus a ring all-reduce
of the gradients (not overlapped with backward, as Acclimate does it today):
    t_ar(N) = 2 (N-1)/N * bytes / bandwidth  +  2 (N-1) * buckets * latency
bytes = 4 x parameters (fp32 gradients) or 2 x parameters (bf16), buckets = ceil(bytes / 25 MB).
Efficiency E(N) = compute / (compute + t_ar(N)); printed: the first N (up to 4096) with E < 80 %,
and E at N = 2, 8, 64. --speedup k divides the compute time (a host k times faster than the one
measured).
"""
import argparse, math

p = argparse.ArgumentParser()
p.add_argument("--minilm-step", type=float, required=True, help="measured seconds per update, MiniLM shapes")
p.add_argument("--bert-step", type=float, required=True, help="measured seconds per update, BERT-base shapes")
p.add_argument("--latency-us", type=float, default=50.0, help="per-message latency of one ring step (TCP: ~50 us)")
p.add_argument("--speedup", type=float, nargs="*", default=[1.0, 16.0, 100.0])
a = p.parse_args()

models = [("MiniLM (22.7M)", 22.7e6, a.minilm_step), ("BERT-base (110M)", 110e6, a.bert_step)]
links = [10, 25, 100]
bucket = 25 * 2**20

def t_ar(n, nbytes, gbps):
    if n == 1: return 0.0
    return 2 * (n - 1) / n * nbytes / (gbps * 1e9 / 8) + 2 * (n - 1) * math.ceil(nbytes / bucket) * a.latency_us * 1e-6

print(f"latency {a.latency_us:g} us per ring step, 25 MB buckets, no overlap of communication with backward")
print(f"{'model':<18} {'compute/update':>14} {'dtype':>5} {'MB':>6} {'link':>8} {'E(2)':>6} {'E(8)':>6} {'E(64)':>6} {'E<80% from N':>13}")
for speed in a.speedup:
    for name, params, step in models:
        compute = step / speed
        for dtype, width in (("fp32", 4), ("bf16", 2)):
            nbytes = params * width
            for gbps in links:
                e = lambda n: compute / (compute + t_ar(n, nbytes, gbps))
                first = next((n for n in range(2, 4097) if e(n) < 0.8), None)
                print(f"{name:<18} {compute:>12.3f} s {dtype:>5} {nbytes / 1e6:>6.0f} {gbps:>5} Gb/s {e(2):>6.1%} {e(8):>6.1%} {e(64):>6.1%} {('never ≤4096' if first is None else str(first)):>13}")
    print()
