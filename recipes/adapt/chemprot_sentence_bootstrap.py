#!/usr/bin/env python3
# ChemProt's test set holds several relation pairs per sentence (3,469 pairs in 1,397 sentences), so
# the sweep's bootstrap over test *examples* treats correlated items as independent. This paired
# bootstrap resamples whole sentences instead (1,000 resamples; statistic = mean over seeds 1-3 of
# metric(A) - metric(B); two-sided p), for accuracy and macro-F1, from the cells' predictions-test.jsonl.
#   python3 recipes/adapt/chemprot_sentence_bootstrap.py tapt base     (from the repository root)
import json,re,random,sys
from collections import defaultdict
test=[json.loads(l) for l in open('../shared/data/cls-domain/chemprot/test.jsonl')]
strip=lambda t: re.sub(r'\s+',' ',re.sub(r'<< | >>|\[\[ | \]\]','',t)).strip()
sent=[strip(r['text']) for r in test]
ids={s:i for i,s in enumerate(dict.fromkeys(sent))}
cluster=[ids[s] for s in sent]
def preds(setting,seed):
    rows=[json.loads(l) for l in open(f'runs/sweeps/adapt-chemprot/{setting}/seed-{seed}/predictions-test.jsonl')]
    assert [r['line'] for r in rows]==list(range(1,len(test)+1))
    return [(r['gold'],r['pred']) for r in rows]
labels=sorted({r['label'] for r in test})
def acc(items): return sum(g==p for g,p in items)/len(items)
def macro(items):
    tp=defaultdict(int);pc=defaultdict(int);gc=defaultdict(int)
    for g,p in items:
        gc[g]+=1;pc[p]+=1
        if g==p: tp[g]+=1
    ls=[l for l in set(gc)|set(pc)]
    return sum(2*tp[l]/(pc[l]+gc[l]) for l in ls)/len(ls)
if len(sys.argv) != 3: sys.exit("usage: chemprot_sentence_bootstrap.py SETTING BASELINE  (settings of runs/sweeps/adapt-chemprot)")
A,B=sys.argv[1],sys.argv[2]
pairs=[(preds(A,s),preds(B,s)) for s in (1,2,3)]
members=defaultdict(list)
for i,c in enumerate(cluster): members[c].append(i)
cl=list(members)
for name,f in (('accuracy',acc),('macro_f1',macro)):
    obs=sum(f(a)-f(b) for a,b in pairs)/3
    rnd=random.Random(0); below=above=0; R=1000
    for _ in range(R):
        idx=[i for c in (rnd.choice(cl) for _ in cl) for i in members[c]]
        v=sum(f([a[i] for i in idx])-f([b[i] for i in idx]) for a,b in pairs)/3
        below+=v<=0; above+=v>=0
    p=min(1,2*min(below,above)/R)
    print(f'{A} vs {B} {name}: observed {obs:+.4f}, sentence-cluster bootstrap p {"< 0.001" if p == 0 else f"{p:.3f}"} ({len(cl)} sentences, {len(test)} pairs)')
