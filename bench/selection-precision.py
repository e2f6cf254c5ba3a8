#!/usr/bin/env python3
"""How well `acclimate select` finds in-domain text in a mixed pool (docs/domain-tools.md).

Target: 200 NCBI-disease training sentences. Pools: PubMed abstracts (in-domain) mixed with
WNUT-17 social-media lines (out-of-domain), built with a fixed seed:
  A  all 2,401 abstracts + 20,000 posts  (abstracts are 11 % of documents, 68 % of words)
  B  300 abstracts + 60,000 posts        (0.5 % of documents, 8 % of words)
For each method the share of PubMed documents among the top N selected is printed (the share a
random pick would get is the pool's document share).

  python3 bench/selection-precision.py [--shared ../shared] [--knn-model runs/encoders/all-MiniLM-L6-v2]
                                      [--methods bm25,xent,dsir,dsir-topk,knn]

kNN embeds each pool once (`--pool-embeddings`, shared by its two --min-words runs).

Wall time per selection goes to stderr.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]


def ncbi_sentences(path):
    sentences, words = [], []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line:
            if words:
                sentences.append(" ".join(words))
            words = []
        else:
            words.append(line.split()[0])
    if words:
        sentences.append(" ".join(words))
    return sentences


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    parser.add_argument("--knn-model", default=None)
    parser.add_argument("--methods", default=None, help="comma-separated subset of bm25,xent,dsir,dsir-topk,knn (default: all; knn needs --knn-model)")
    args = parser.parse_args()
    data = os.path.join(args.shared, "data")
    pubmed = lines(os.path.join(data, "unlabeled", "pubmed_genia_abstracts", "corpus.txt"))
    social = lines(os.path.join(data, "unlabeled", "social_media_wnut17_raw", "corpus.txt"))
    target = ncbi_sentences(os.path.join(data, "ner-bio", "ncbi_disease", "train.conll"))
    random.Random(1).shuffle(target)
    target = target[:200]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    work = tempfile.mkdtemp(prefix="acclimate-select-")
    with open(os.path.join(work, "target.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(target) + "\n")

    pools = {"A": (len(pubmed), 20000), "B": (300, 60000)}
    # dsir: importance resampling (seed 1); dsir-topk: its deterministic top-k variant.
    methods = ["bm25", "xent", "dsir", "dsir-topk"] + (["knn"] if args.knn_model else [])
    if args.methods:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        if "knn" in methods and not args.knn_model:
            parser.error("--methods knn needs --knn-model")
    print("| pool | PubMed share of documents / words | method | min words | top 50 | top 100 | top 300 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for name, (n_pub, n_soc) in pools.items():
        rng = random.Random(2)
        pool = [(t, True) for t in rng.sample(pubmed, n_pub)] + [(t, False) for t in rng.sample(social, n_soc)]
        rng.shuffle(pool)
        pool_path = os.path.join(work, f"pool-{name}.txt")
        with open(pool_path, "w", encoding="utf-8") as f:
            f.write("\n".join(t for t, _ in pool) + "\n")
        words_in = sum(len(t.split()) for t, d in pool if d)
        words_all = sum(len(t.split()) for t, _ in pool)
        share = f"{n_pub / len(pool):.1%} / {words_in / words_all:.0%}"
        for method in methods:
            for min_words in (0, 10):
                scores = os.path.join(work, f"{name}-{method}-{min_words}.tsv")
                cmd = [os.path.join(root, "acclimate"), "select", "--method", method.split("-")[0], "--target", os.path.join(work, "target.txt"),
                       "--pool", pool_path, "--output", os.path.join(work, "selected.txt"), "--scores", scores,
                       "--top", "300", "--k", "10", "--min-words", str(min_words)]
                if method == "knn":
                    cmd += ["--model", args.knn_model, "--pool-embeddings", os.path.join(work, f"pool-{name}.npy")]
                if method == "dsir-topk":
                    cmd += ["--top-k"]
                start = time.monotonic()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                # Wall time of the whole command (process start, reading, selection, writing), on stderr so the table stays clean.
                print(f"{name} {method} min-words {min_words}: {time.monotonic() - start:.1f} s for {len(pool):,} pool documents", file=sys.stderr)
                with open(scores, encoding="utf-8") as f:
                    picked = [int(l.split("\t")[1]) - 1 for l in f.read().strip().split("\n")[1:]]
                cells = [f"{sum(pool[i][1] for i in picked[:n]) / max(1, len(picked[:n])):.0%}" for n in (50, 100, 300)]
                print(f"| {name} | {share} | {method} | {min_words} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
