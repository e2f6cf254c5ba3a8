# Shared by recipes/adapt/run.sh (biomedical table) and run-social.sh (social-media table): the data
# splits the recipes name (all derived from ../shared/data and Brown, deterministic) and pretrain(),
# which runs recipes/adapt/NAME.yaml unless runs/adapt/NAME/model exists. Sourced, not run.
acclimate=${ACCLIMATE:-./acclimate}
shared=../shared/data

[ -d runs/encoders/all-MiniLM-L6-v2 ] || $acclimate model fetch all-MiniLM-L6-v2 --output runs/encoders/all-MiniLM-L6-v2
[ -f .cache/brown-learned/general-eval.txt ] || $acclimate data split-brown --out .cache/brown-learned --genre learned
mkdir -p .cache/pubmed .cache/social
pubmed=$shared/unlabeled/pubmed_genia_abstracts/corpus.txt
head -n 2161 "$pubmed" > .cache/pubmed/train.txt
tail -n 240 "$pubmed" > .cache/pubmed/eval.txt
social=$shared/unlabeled/social_media_wnut17_raw/corpus.txt
head -n 91854 "$social" > .cache/social/train.txt
tail -n 4000 "$social" > .cache/social/eval.txt

# CoNLL -> one sentence per line (TAPT text, perplexity sets).
conll_to_text() { awk 'BEGIN { RS = ""; FS = "\n" } { s = ""; for (i = 1; i <= NF; i++) { split($i, a, "\t"); s = s (i > 1 ? " " : "") a[1] } print s }' "$1"; }
# The first N sentences of a CoNLL file.
first_sentences() { awk -v n="$2" '{ if ($0 == "") { k++; if (k >= n) exit } print } END { print "" }' "$1"; }

mkdir -p runs/adapt
pretrain() { [ -d "runs/adapt/$1/model" ] || $acclimate pretrain --config "recipes/adapt/$1.yaml" > "runs/adapt/$1.log" 2>&1; }
side_by_side() { pretrain "$1" & local a=$!; pretrain "$2" & local b=$!; wait $a; wait $b; }
