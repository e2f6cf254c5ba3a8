#!/usr/bin/env python3
"""PyTorch peer for `Acclimate.Bench speed` (issue 10).

A plain PyTorch BERT of the same shape doing the same work as the C# benchmark, so the two can be
compared in one command on one machine: fine-tuning with a linear head and with a CRF head
(batch 16 x 64), and MLM pretraining (batch 32 x 128, 15 % of positions masked, the vocabulary
projection applied only at masked positions), each step forward + backward + grad clipping + AdamW,
in fp32. It prints one JSON object per line: the machine (torch version, the BLAS library actually
loaded and, for OpenBLAS, the kernel it chose, whether denormals are flushed, the fp32 1024^3 matmul
rate) first, then one per work item with its tokens/s.

The weights are initialised as HF's BertPreTrainedModel does (normal(0, 0.02) for Linear and
Embedding weights, zero biases and padding row, LayerNorm 1 / 0), as the library's models are, and
denormals are flushed. PyTorch's defaults (N(0, 1) word embeddings, tied to the decoder) spread the
MLM logits to ~20, leave a quarter of the softmax-gradient entries denormal and slowed the decoder's
backward on an Intel Xeon by an order of magnitude (issue 24; no such penalty seen on an AMD EPYC);
`--init pytorch --flush-denormal 0` reproduces the old peer.

Written for Debian's python3-torch (1.13, no scaled_dot_product_attention, hence the explicit
attention). Its BLAS must be a threaded OpenBLAS (libopenblas0-pthread) running a kernel for this
CPU: OpenBLAS reads OPENBLAS_CORETYPE at load time, so when the variable is unset this script
chooses it from /proc/cpuinfo (avx512f -> SkylakeX, avx2 -> Haswell; Acclimate.Bench does the same)
and re-executes itself with it and OPENBLAS_VERBOSE=2 (OpenBLAS then prints "Core: ..." on stderr);
the core name and matmul rate printed first show what it ran. `--min-gflops X` makes it exit with
status 3 and a message, before any work, when its fp32 1024^3 matmul runs below X GFLOP/s
(Acclimate.Bench passes half of the library's rate measured in the same run).
"""
import argparse
import ctypes
import json
import math
import os
import sys
import time


def coretype_for_this_cpu():
    """OPENBLAS_CORETYPE for the CPU from /proc/cpuinfo's flags, or None (OpenBLAS's own detection)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:
        flags = []
    if "avx512f" in flags:
        return "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


if "OPENBLAS_CORETYPE" not in os.environ and "--keep-openblas-detection" not in sys.argv:
    _core = coretype_for_this_cpu()
    if _core is not None:
        # OpenBLAS has not been loaded yet (torch is imported below), but the variable must be in
        # the environment the dynamic loader sees, hence a fresh process.
        os.environ["OPENBLAS_CORETYPE"] = _core
        os.environ["ACCLIMATE_PEER_CORETYPE_FROM"] = "/proc/cpuinfo (pytorch_peer.py)"
        os.environ.setdefault("OPENBLAS_VERBOSE", "2")
        os.execv(sys.executable, [sys.executable] + sys.argv)

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 30522
NUM_TAGS = 9
PAD = 0
INIT_STD = 0.02   # BERT's initializer_range


class Layer(nn.Module):
    def __init__(self, hidden, heads, intermediate, dropout=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.up = nn.Linear(hidden, intermediate)
        self.down = nn.Linear(intermediate, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.dropout = dropout

    def forward(self, x, additive_mask):
        b, n, h = x.shape
        d = h // self.heads
        q, k, v = (proj(x).view(b, n, self.heads, d).transpose(1, 2) for proj in self.qkv)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive_mask
        probs = F.dropout(scores.softmax(-1), self.dropout, self.training)
        context = (probs @ v).transpose(1, 2).reshape(b, n, h)
        x = self.attn_norm(x + F.dropout(self.attn_out(context), self.dropout, self.training))
        y = self.down(F.gelu(self.up(x)))
        return self.out_norm(x + F.dropout(y, self.dropout, self.training))


class Encoder(nn.Module):
    def __init__(self, layers, hidden, heads, intermediate):
        super().__init__()
        self.words = nn.Embedding(VOCAB, hidden, padding_idx=PAD)
        self.positions = nn.Embedding(512, hidden)
        self.types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([Layer(hidden, heads, intermediate) for _ in range(layers)])

    def forward(self, ids, mask):
        n = ids.shape[1]
        positions = torch.arange(n).unsqueeze(0)
        x = self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids))
        x = F.dropout(self.norm(x), 0.1, self.training)
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, additive)
        return x


class Crf(nn.Module):
    """Linear-chain CRF negative log-likelihood (forward algorithm), mean over the batch."""

    def __init__(self, tags):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(tags))
        self.end = nn.Parameter(torch.zeros(tags))
        self.transitions = nn.Parameter(torch.zeros(tags, tags))

    def forward(self, emissions, tags, mask):
        # emissions [B, N, T], tags [B, N], mask [B, N] bool with a true prefix per row
        b, n, _ = emissions.shape
        rows = torch.arange(b)
        gold = self.start[tags[:, 0]] + emissions[rows, 0, tags[:, 0]]
        alpha = self.start + emissions[:, 0]
        for t in range(1, n):
            step = mask[:, t]
            gold = gold + step * (self.transitions[tags[:, t - 1], tags[:, t]] + emissions[rows, t, tags[:, t]])
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(step.unsqueeze(1), nxt, alpha)
        last = mask.long().sum(1) - 1
        gold = gold + self.end[tags[rows, last]]
        log_z = torch.logsumexp(alpha + self.end, dim=1)
        return (log_z - gold).mean()


class Tagger(nn.Module):
    def __init__(self, encoder, hidden, crf):
        super().__init__()
        self.encoder = encoder
        self.classifier = nn.Linear(hidden, NUM_TAGS)
        self.crf = Crf(NUM_TAGS) if crf else None

    def loss(self, ids, mask, labels):
        hidden = F.dropout(self.encoder(ids, mask), 0.1, self.training)
        emissions = self.classifier(hidden)
        if self.crf is None:
            return F.cross_entropy(emissions.reshape(-1, NUM_TAGS), labels.reshape(-1), ignore_index=-100)
        # score the words: drop [CLS] and [SEP], as the C# labeler scores first subwords
        return self.crf(emissions[:, 1:-1], labels[:, 1:-1], mask[:, 1:-1].bool())


class MaskedLm(nn.Module):
    def __init__(self, encoder, hidden):
        super().__init__()
        self.encoder = encoder
        self.transform = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(VOCAB))

    def loss(self, ids, mask, positions, labels):
        hidden = self.encoder(ids, mask).reshape(-1, self.transform.in_features)[positions]
        hidden = self.norm(F.gelu(self.transform(hidden)))
        logits = F.linear(hidden, self.encoder.words.weight, self.bias)   # tied decoder
        return F.cross_entropy(logits, labels)


def init_like_hf(model, std=INIT_STD):
    """BERT's initialisation: Linear and Embedding weights ~ N(0, std), biases 0, the embedding's
    padding row 0, LayerNorm weight 1 and bias 0. Other parameters (the CRF's, the MLM bias) keep
    their zeros. The decoder is the word-embedding matrix itself, so it gets the same N(0, std)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.normal_(0.0, std)
                if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
    return model


def denormals_flushed():
    """True when a denormal input comes out as zero both from a threaded elementwise op and from a
    BLAS matmul, i.e. the flush reached the worker threads too."""
    tiny = torch.finfo(torch.float32).tiny / 8   # a denormal
    elementwise = torch.full((1 << 20,), tiny) * 1.0
    product = torch.full((256, 256), tiny) @ torch.ones(256, 256)
    return bool((elementwise == 0).all() and (product == 0).all())


def matmul_gflops(n=1024, repeats=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def blas_info():
    """BLAS_INFO from torch's build settings, the BLAS libraries actually mapped into this process
    (Debian's "generic" is libblas.so.3, whichever provider update-alternatives selected;
    libopenblas0-pthread installs the threaded OpenBLAS there) and, for OpenBLAS, the kernel it
    chose (openblas_get_corename) and its build line (openblas_get_config)."""
    info = {"blas": "unknown BLAS", "blas_libraries": [], "openblas_core": None, "openblas_config": None,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"), "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE")}
    for item in torch.__config__.show().replace("\n", ",").split(","):
        item = item.strip()
        if "BLAS_INFO=" in item:
            info["blas"] = "BLAS " + item.split("BLAS_INFO=")[1]
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if line.rstrip().endswith(".so") or ".so." in line})
    except OSError:
        paths = []
    names = ("blas", "mkl_rt", "mkl_core", "blis")
    info["blas_libraries"] = [p for p in paths if any(n in os.path.basename(p).lower() for n in names)]
    # The OpenBLAS library itself first: Debian's openblas-pthread/libblas.so.3 is a small interface
    # library linked to libopenblas.so.0 whose lookups reach the same symbols; name the real one.
    for path in sorted(info["blas_libraries"], key=lambda p: "openblas" not in os.path.basename(p).lower()):
        try:
            library = ctypes.CDLL(path)
            corename, config = library.openblas_get_corename, library.openblas_get_config
        except (OSError, AttributeError):
            continue
        corename.restype = config.restype = ctypes.c_char_p
        info["openblas_core"], info["openblas_config"] = corename().decode(), config().decode()
        info["openblas_library"] = os.path.realpath(path)
        break
    return info


def tagging_batch(batch, length):
    ids = torch.randint(1000, VOCAB, (batch, length))
    ids[:, 0], ids[:, -1] = 101, 102
    labels = torch.randint(0, NUM_TAGS, (batch, length))
    labels[:, 0] = labels[:, -1] = -100
    return ids, torch.ones(batch, length, dtype=torch.long), labels


def mlm_batch(batch, length):
    ids = torch.randint(1000, VOCAB, (batch, length))
    masked = torch.rand(batch * length) < 0.15
    positions = masked.nonzero().squeeze(1)
    labels = ids.reshape(-1)[positions].clone()
    ids.view(-1)[positions] = 103
    return ids, torch.ones(batch, length, dtype=torch.long), positions, labels


def measure(name, model, make_loss, tokens_per_step, steps, warmup):
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    for i in range(warmup + steps):
        if i == warmup:
            start, cpu_start = time.perf_counter(), time.process_time()
        optimizer.zero_grad(set_to_none=True)
        loss = make_loss()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    # CPU time (all threads, user + system) beside the wall time: on shared cores it moves less.
    print(json.dumps({"work": name, "tokens_per_second": tokens_per_step * steps / elapsed, "ms_per_step": 1000 * elapsed / steps,
                      "cpu_ms_per_step": 1000 * cpu / steps}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag, default in (("--threads", 2), ("--steps", 20), ("--warmup", 3), ("--layers", 6), ("--hidden", 384),
                          ("--heads", 12), ("--intermediate", 1536)):
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument("--work", choices=("all", "linear", "crf", "mlm"), default="all")
    parser.add_argument("--init", choices=("hf", "pytorch"), default="hf",
                        help="hf: BERT's N(0, 0.02) init (default); pytorch: the modules' own defaults (the unfair peer of issue 24)")
    parser.add_argument("--flush-denormal", type=int, choices=(0, 1), default=1)
    parser.add_argument("--min-gflops", type=float, default=0.0,
                        help="exit with status 3, before any work, when the fp32 1024^3 matmul runs below this many GFLOP/s")
    parser.add_argument("--keep-openblas-detection", action="store_true",
                        help="leave OPENBLAS_CORETYPE unset when the environment does not set it (OpenBLAS's own detection)")
    args = parser.parse_args()
    # Before any worker thread exists, so that the threads created later start with the same MXCSR.
    flush = torch.set_flush_denormal(bool(args.flush_denormal))
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rate = matmul_gflops()
    print(json.dumps({"torch": torch.__version__, **blas_info(), "threads": torch.get_num_threads(),
                      "OPENBLAS_CORETYPE_from": os.environ.get("ACCLIMATE_PEER_CORETYPE_FROM", "the caller's environment"),
                      "init": args.init, "flush_denormal_requested": bool(args.flush_denormal),
                      "set_flush_denormal_returned": flush, "denormals_flushed": denormals_flushed(),
                      "matmul_gflops": rate}), flush=True)
    if rate < args.min_gflops:
        core = blas_info().get("openblas_core")
        print(f"pytorch_peer.py: refusing to run: the fp32 1024^3 matmul ran at {rate:.1f} GFLOP/s, below the "
              f"{args.min_gflops:.1f} GFLOP/s asked for (--min-gflops); the BLAS kernel ({core or 'not OpenBLAS'}, "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}) would be measured, not PyTorch. Set OPENBLAS_CORETYPE "
              "for this CPU and check that libopenblas0-pthread provides libblas.so.3.", file=sys.stderr, flush=True)
        sys.exit(3)

    def encoder():
        return Encoder(args.layers, args.hidden, args.heads, args.intermediate)

    def initialised(model):
        return init_like_hf(model) if args.init == "hf" else model

    for name, crf, work in (("finetune linear 16×64", False, "linear"), ("finetune CRF 16×64", True, "crf")):
        if args.work not in ("all", work):
            continue
        model = initialised(Tagger(encoder(), args.hidden, crf))
        measure(name, model, lambda m=model: m.loss(*tagging_batch(16, 64)), 16 * 64, args.steps, args.warmup)
    if args.work not in ("all", "mlm"):
        return
    model = initialised(MaskedLm(encoder(), args.hidden))
    measure("pretrain MLM 32×128", model, lambda: model.loss(*mlm_batch(32, 128)), 32 * 128, args.steps, args.warmup)


if __name__ == "__main__":
    main()
