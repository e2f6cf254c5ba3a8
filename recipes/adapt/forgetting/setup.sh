# Shared by recipes/adapt/run-forgetting.sh (the forgetting table) and run-frontier.sh (the frontier):
# Brown and PubMed training text each lose a dev slice (strengths are chosen on it, never on the eval
# sets), and the general masked-LM every DAPT run starts from (forgetting/general-mlm.yaml: the common
# warm-up continued on Brown). Sourced after common.sh, from the repository root; stages that exist
# are skipped.
pretrain warmup

mkdir -p .cache/forgetting runs/adapt/forgetting
head -n 361 .cache/brown-learned/general-train.txt > .cache/forgetting/brown-train.txt
tail -n 20 .cache/brown-learned/general-train.txt > .cache/forgetting/brown-dev.txt
head -n 2041 .cache/pubmed/train.txt > .cache/forgetting/pubmed-train.txt
tail -n 120 .cache/pubmed/train.txt > .cache/forgetting/pubmed-dev.txt

[ -d runs/adapt/forgetting/general-mlm/model ] ||
  $acclimate pretrain --config recipes/adapt/forgetting/general-mlm.yaml > runs/adapt/forgetting/general-mlm.log 2>&1
