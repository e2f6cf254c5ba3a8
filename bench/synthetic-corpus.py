#!/usr/bin/env python3
# Usage: python3 bench/synthetic-corpus.py BYTES OUT.txt   (reads ../shared/data/unlabeled; docs/pretraining.md, "The full 3.0 GB build")
# A multi-GB synthetic corpus for the token-cache memory measurement: the two shared unlabeled
# corpora repeated with variation (per repetition: seeded 10 % word dropout, one swapped adjacent
# word pair per line, a repetition tag), until the target size.
import os, random, sys
SHARED = os.environ.get("ACCLIMATE_SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
target = int(sys.argv[1]); out = sys.argv[2]
lines = []
for p in [SHARED + "/data/unlabeled/pubmed_genia_abstracts/corpus.txt", SHARED + "/data/unlabeled/social_media_wnut17_raw/corpus.txt"]:
    with open(p, encoding="utf-8") as f:
        lines += [l.split() for l in f if l.strip()]
written = 0; rep = 0
with open(out, "w", encoding="utf-8") as f:
    while written < target:
        rng = random.Random(rep)
        buf = []
        for words in lines:
            kept = [w for w in words if rng.random() >= 0.1] or words[:1]
            if len(kept) > 1:
                i = rng.randrange(len(kept) - 1); kept[i], kept[i + 1] = kept[i + 1], kept[i]
            buf.append(f"r{rep} " + " ".join(kept))
        s = "\n".join(buf) + "\n"
        f.write(s); written += len(s.encode("utf-8")); rep += 1
print(rep, "repetitions,", written, "bytes")
