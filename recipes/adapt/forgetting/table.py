#!/usr/bin/env python3
"""The forgetting tables of docs/adaptation.md, from the runs' own files (standard library only).

Dev table: every row of recipes/sweeps/forgetting-dapt.yaml with its dev perplexities (the run's
forgetting.json) and the chosen strength per control (lowest mean of the two dev MLM losses).
Eval table: the general start, plain DAPT and each chosen control with eval-set perplexities
(perplexity.tsv), "domain gain kept" and "general loss avoided" (in MLM loss, relative to plain DAPT),
and Brown POS test accuracy from the forgetting-pos sweep's leaderboard.csv when it exists.

  python3 recipes/adapt/forgetting/table.py [runs/sweeps]
"""
import csv, json, math, os, sys

sweeps = sys.argv[1] if len(sys.argv) > 1 else "runs/sweeps"
dapt = os.path.join(sweeps, "forgetting-dapt")

def control_of(name):
    return name.split("-")[0]

rows = []
for name in sorted(os.listdir(dapt)):
    path = os.path.join(dapt, name, "seed-1", "forgetting.json")
    if not os.path.isfile(path):
        continue
    held = json.load(open(path))["held_out"]
    rows.append((name, held["domain"]["after_loss"], held["general"]["after_loss"],
                 held["domain"]["before_loss"], held["general"]["before_loss"]))

chosen = {}
for name, dl, gl, _, _ in rows:
    c = control_of(name)
    if c not in chosen or (dl + gl) / 2 < chosen[c][1]:
        chosen[c] = (name, (dl + gl) / 2)
chosen_names = {v[0] for v in chosen.values()}

print("Dev sets (choosing the strength): PubMed dev = 120 abstracts, Brown dev = 20 documents.\n")
print(f"start (general MLM): PubMed dev perplexity {math.exp(rows[0][3]):.1f}, Brown dev {math.exp(rows[0][4]):.1f}\n")
print("| row | PubMed dev perplexity | Brown dev perplexity | mean dev MLM loss | chosen |")
print("|---|---|---|---|---|")
for name, dl, gl, _, _ in rows:
    print(f"| {name} | {math.exp(dl):.1f} | {math.exp(gl):.1f} | {(dl + gl) / 2:.4f} | {'yes' if name in chosen_names else ''} |")

tsv = os.path.join(dapt, "perplexity.tsv")
if not os.path.isfile(tsv):
    sys.exit(0)
ppl = {}
for r in csv.DictReader(open(tsv), delimiter="\t"):
    key = "start" if "general-mlm" in r["model"] else r["model"].split("/")[-3]
    ppl[key] = (float(r["brown_eval"]), float(r["pubmed_eval"]))

pos = {}
board = os.path.join(sweeps, "forgetting-pos", "leaderboard.csv")
if os.path.isfile(board):
    for r in csv.DictReader(open(board)):
        pos[r["setting"]] = r

start_b, start_p = (math.log(x) for x in ppl["start"])
plain_b, plain_p = (math.log(x) for x in ppl["plain"])
print("\nEval sets (the table): Brown = 39 held-out documents, PubMed = 240 held-out abstracts.\n")
print("| model | PubMed perplexity | Brown perplexity | domain gain kept | general loss avoided | Brown POS test accuracy | Δ vs start | p (t, seeds) | p (bootstrap) |")
print("|---|---|---|---|---|---|---|---|---|")
order = ["start", "plain"] + sorted(n for n in chosen_names if n != "plain") + sorted(n for n in ppl if n not in chosen_names and n not in ("start", "plain"))
for name in order:
    if name not in ppl:
        continue
    b, p = ppl[name]
    kept = (start_p - math.log(p)) / (start_p - plain_p)
    avoided = 1 - (math.log(b) - start_b) / (plain_b - start_b)
    r = pos.get("general-mlm" if name == "start" else name)
    acc = f"{float(r['mean']):.4f} ± {float(r['std']):.4f}" if r else "—"
    delta = f"{float(r['delta_vs_baseline']):+.4f}" if r and r["delta_vs_baseline"] else "—"
    pt = f"{float(r['p_t']):.3f}" if r and r["p_t"] else "—"
    pb = f"{float(r['p_bootstrap']):.3f}" if r and r["p_bootstrap"] else "—"
    label = name + ("" if name in chosen_names or name == "start" else " (not chosen)")
    kept_s = "—" if name == "start" else f"{kept:.0%}"
    avoided_s = "—" if name == "start" else f"{avoided:.0%}"
    print(f"| {label} | {p:.1f} | {b:.1f} | {kept_s} | {avoided_s} | {acc} | {delta} | {pt} | {pb} |")
