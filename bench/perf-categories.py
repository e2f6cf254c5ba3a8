#!/usr/bin/env python3
"""Groups a `perf record` profile of one training configuration by operator kind (issue 24).

Usage: perf-categories.py PERF_DATA [--top N]

Reads `perf report --no-children --sort dso,sym` of the file and sums the sample shares into kinds
chosen by the symbol's name (libtorch_cpu.so ships its symbol table, so ATen kernels, MKL's GEMM and
oneDNN's entry points are named; oneDNN's JIT-generated GEMM code is named when ONEDNN_JIT_PROFILE=2
wrote a perf map, as bench/bf16-profile.sh asks; what stays `[JIT]` is .NET's own JIT code). libgomp's samples are
OpenMP threads waiting at a barrier for the other thread: on shared cores that is mostly time the
other thread spent descheduled, so shares are given both of all samples and of the work (samples
outside libgomp).
"""
import re
import subprocess
import sys

# (kind, pattern on "dso symbol"), first match wins.
KINDS = [
    ("OpenMP barrier wait (libgomp)", r"^libgomp"),
    ("kernel (page faults, scheduler)", r"^\[kernel"),
    ("matmul fp32 (MKL sgemm)", r"mkl_blas|sgemm|mkl_serv"),
    ("matmul bf16 (oneDNN)", r"dnnl|brgemm|jit_|gemm_bf16|bf16_gemm|onednn|mkldnn"),
    ("casts fp32<->bf16", r"reduced_float_copy|copy_kernel.*BFloat16|BFloat16.*copy_kernel|convert_?to_?(bf16|float)|cvt"),
    ("copies (fp32 copy_, contiguous)", r"copy_kernel|direct_copy|copy_same_type|transpose|_copy_"),
    ("dropout RNG (bernoulli)", r"bernoulli|random64|CPUGeneratorImpl|uniform_kernel|mt19937|normal_kernel"),
    ("LayerNorm fwd/bwd", r"LayerNorm|layer_norm"),
    ("attention (SDPA, softmax)", r"flash_attention|_scaled_dot|sdpa|softmax"),
    ("GELU, exp/erf (Sleef: GELU, softmax, logsumexp)", r"gelu|Gelu|Sleef|erf"),
    ("AdamW-only kernels (sqrt, addcmul, addcdiv, lerp)", r"Sqrt|sqrt|addcmul|addcdiv|lerp|vml_kernel"),
    ("elementwise mul/add/div/where/fill", r"mul_kernel|add_kernel|div_true|div_kernel|where_kernel|fill_kernel|sub_kernel|clamp|threshold|masked_fill|neg_kernel"),
    ("reductions (norm, sum, logsumexp)", r"norm_kernel|sum_kernel|reduce|outer_sum|logsumexp|max_kernel|and_kernel|cumsum|argmax|amax"),
    ("embedding, index, gather/scatter", r"index_select|index_add|embedding|scatter|gather|index_put|index_kernel|take"),
    ("loss (log_softmax, nll)", r"log_softmax|nll_loss|cross_entropy"),
    ("malloc/free", r"^libc\S* .*(malloc|free|_int_|unlink_chunk|memset|memcpy|memmove)"),
    (".NET runtime and TorchSharp glue", r"^(libcoreclr|libclrjit|libSystem|libLibTorchSharp|Acclimate|System\.|\[unknown\]|\[JIT\]|dotnet|perf-)"),
    ("dispatcher and ATen framework", r"c10::|at::TensorIterator|at::native::|at::_ops|torch::autograd|at::Tensor|intrusive|OperatorEntry|Dispatcher|^libtorch_cpu"),
]


def rows(path):
    report = subprocess.run(["perf", "report", "-i", path, "--no-children", "--sort", "dso,sym", "--stdio", "-q", "-n"],
                            capture_output=True, text=True, check=True).stdout
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(.+?)\s+\[[.k]\]\s+(.*)", line)
        if m:
            yield float(m.group(1)), int(m.group(2)), m.group(3), m.group(4)


def short(symbol, width=90):
    names = re.findall(r"(?:native|cpu|internal)::(?:\(anonymous namespace\)::|[A-Z0-9_]+::)?([a-zA-Z_][\w]*)", symbol)
    name = "/".join(dict.fromkeys(n for n in names if n not in ("VectorizedLoop2d", "cpu_kernel", "cpu_kernel_vec", "vec", "invoke_parallel", "parallel_for"))) or symbol
    if "BFloat16" in symbol:
        name += " [bf16]"
    return name[:width]


def main():
    path = sys.argv[1]
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 12
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 0
    hz = int(sys.argv[sys.argv.index("--hz") + 1]) if "--hz" in sys.argv else 999
    totals, symbols, samples, wait_samples = {}, [], 0, 0
    for share, count, dso, symbol in rows(path):
        samples += count
        if dso.startswith("libgomp"):
            wait_samples += count
        key = f"{dso} {symbol}"
        kind = next((k for k, pattern in KINDS if re.search(pattern, key)), "other")
        totals[kind] = totals.get(kind, 0.0) + share
        symbols.append((share, kind, dso, symbol))
    wait = totals.get(KINDS[0][0], 0.0)
    work = max(1e-9, sum(totals.values()) - wait)
    if steps:
        # Each sample is 1/hz s of CPU time of one thread: work per step in ms, the waiting left out —
        # a measure of the step's cost that the other jobs on shared cores disturb far less than wall time.
        print(f"work (CPU time outside libgomp's wait) per step: {1000 * (samples - wait_samples) / hz / steps:.0f} ms;"
              f" OpenMP wait {1000 * wait_samples / hz / steps:.0f} ms ({samples} samples at {hz} Hz over {steps} steps)")
        print()
    print(f"| kind | % of samples | % of work (without OpenMP wait) |")
    print(f"|---|---:|---:|")
    for kind, _ in KINDS + [("other", None)]:
        if kind in totals:
            share = totals[kind]
            print(f"| {kind} | {share:.1f} | {'' if kind == KINDS[0][0] else f'{100 * share / work:.1f}'} |")
    print()
    print(f"top {top} symbols outside libgomp (% of work):")
    for share, kind, dso, symbol in sorted((s for s in symbols if s[1] != KINDS[0][0]), reverse=True)[:top]:
        print(f"  {100 * share / work:5.1f}  {kind:<34} {dso:<16} {short(symbol)}")


if __name__ == "__main__":
    main()
