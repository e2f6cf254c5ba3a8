#!/usr/bin/env python3
"""Checks an `acclimate augment` CoNLL output against its input, independently of the C# code
(docs/domain-tools.md): the output must hold, for each input sentence in order, the original
(with --keep-original) and then K copies. For every copy it reads the BIO mentions and checks
each is the original's mention at that place (same tokens, same type) or, where the copy was made
by mention replacement, a training mention of that type; it also counts how many copies differ
from their original and how many tokens were changed.

  python3 bench/augment-ner-check.py INPUT.conll OUTPUT.conll K
"""
import sys


def sentences(path):
    result, words, tags = [], [], []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                result.append((words, tags))
            words, tags = [], []
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        words.append(cols[0])
        tags.append(cols[-1])
    if words:
        result.append((words, tags))
    return result


def mentions(words, tags):
    """BIO mentions as (type, tokens), read as conlleval does (an I- after O or another type opens one)."""
    found, start, kind = [], None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, t = tag.partition("-")
        if start is not None and (prefix in ("O", "B") or t != kind):
            found.append((kind, tuple(words[start:i])))
            start = None
        if prefix in ("B", "I") and start is None:
            start, kind = i, t
    return found


def main():
    source, output, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    original = sentences(source)
    augmented = sentences(output)
    assert len(augmented) == len(original) * (k + 1), f"{len(augmented)} output sentences, expected {len(original)} x {k + 1}"
    pool = {(t, m) for w, tags in original for t, m in mentions(w, tags)}
    copies = changed = kept = replaced = foreign = 0
    for i, (words, tags) in enumerate(original):
        group = augmented[i * (k + 1):(i + 1) * (k + 1)]
        assert group[0] == (words, tags), f"sentence {i + 1}: the kept original differs"
        before = mentions(words, tags)
        for copy_words, copy_tags in group[1:]:
            copies += 1
            changed += (copy_words, copy_tags) != (words, tags)
            after = mentions(copy_words, copy_tags)
            assert [t for t, _ in after] == [t for t, _ in before], f"sentence {i + 1}: mention types {after} vs {before}"
            for (t, m), (_, m0) in zip(after, before):
                if m == m0:
                    kept += 1
                elif (t, m) in pool:
                    replaced += 1
                else:
                    foreign += 1
    total = kept + replaced + foreign
    print(f"| input sentences | copies | copies changed | mentions in copies | identical to the original's | replaced by a training mention of the type | other |")
    print(f"|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(original):,} | {copies:,} | {changed:,} ({changed / copies:.1%}) | {total:,} | {kept:,} | {replaced:,} | {foreign:,} |")
    sys.exit(1 if foreign else 0)


if __name__ == "__main__":
    main()
