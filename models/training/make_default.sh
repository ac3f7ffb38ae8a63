#!/usr/bin/env bash
# Regenerates the bundled default model, models/repository/shapes/1, from nothing:
#   synthetic dataset (C#) → training (PyTorch) → ONNX export → evaluation on 500 fresh held-out frames (C#)
#   → raw ONNX Runtime throughput → manifest with provenance and metrics.
# Usage: models/training/make_default.sh   (about 40 minutes on 2 CPU cores; WORK=/some/dir to keep the files)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WORK:-$(mktemp -d)}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/InferenceServer.Cli/InferenceServer.Cli.csproj -c Release -nologo -v quiet
dotnet build benchmarks/InferenceServer.Benchmarks/InferenceServer.Benchmarks.csproj -c Release -nologo -v quiet
infer="dotnet src/InferenceServer.Cli/bin/Release/net10.0/linux-x64/infer.dll"

$infer synth dataset --out "$work/data" --count 4000 --seed 1000 --width 1280 --height 720
/usr/bin/python3 models/training/train.py --data "$work/data" --out "$work/out" --epochs 30 --batch 32 --seed 0
$infer eval --model "$work/out/model.onnx" --count 500 --seed 9999 --width 1280 --height 720 --json "$work/out/eval.json"
dotnet benchmarks/InferenceServer.Benchmarks/bin/Release/net10.0/linux-x64/InferenceServer.Benchmarks.dll \
  raw-throughput "$work/out/model.onnx" --json "$work/out/speed.json"
/usr/bin/python3 models/training/make_manifest.py "$work/out" models/repository/shapes/1 \
  --eval "$work/out/eval.json" --speed "$work/out/speed.json" --command "models/training/make_default.sh"
