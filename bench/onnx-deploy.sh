#!/usr/bin/env bash
# Issue 27: a trained tagger on libtorch vs its ONNX exports (fp32 and --quantize int8), and the
# inference speed table. Needs a trained NCBI-disease tagger and the MiniLM encoder:
#   ./acclimate model fetch all-MiniLM-L6-v2 --output runs/encoders/all-MiniLM-L6-v2
#   ./acclimate finetune --config recipes/finetune-ner-crf-minilm.yaml --run-dir runs/ncbi-crf-minilm-1ep --set training.epochs=1
# Usage: bench/onnx-deploy.sh [TAGGER_DIR] [ENCODER_DIR] [THREADS=1,2] [N=128]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tagger=${1:-runs/ncbi-crf-minilm-1ep/best-model}
encoder=${2:-runs/encoders/all-MiniLM-L6-v2}
threads=${3:-1,2}
n=${4:-128}
test_conll=../shared/data/ner-bio/ncbi_disease/test.conll
out=runs/onnx-deploy
mkdir -p "$out"
lscpu | grep "Model name"
./acclimate model export --onnx "$out/tagger.onnx" --model "$tagger"
./acclimate model export --onnx "$out/tagger-int8.onnx" --model "$tagger" --quantize int8
./acclimate model export --onnx "$out/embedder.onnx" --model "$encoder" --kind embedder
./acclimate model export --onnx "$out/embedder-int8.onnx" --model "$encoder" --kind embedder --quantize int8
ls -l "$out"/*.onnx
dotnet build bench/Acclimate.Bench -c Release -nologo -v quiet >/dev/null
bench=bench/Acclimate.Bench/bin/Release/net10.0/Acclimate.Bench.dll
dotnet "$bench" onnx-parity "$tagger" "$out/tagger.onnx" "$out/tagger-int8.onnx" "$test_conll"
dotnet "$bench" onnx-speed "$tagger" "$out/tagger.onnx" "$out/tagger-int8.onnx" "$test_conll" "$encoder" "$out/embedder.onnx" "$out/embedder-int8.onnx" "$threads" "$n"
