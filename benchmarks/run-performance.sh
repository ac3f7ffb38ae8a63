#!/usr/bin/env bash
# Regenerates the tables of docs/performance.md in one run on this machine:
#   the server (StreamDetect, 1/4/8 streams of 1280x720 JPEG) vs (a) raw ONNX Runtime on packed tensors,
#   (b) a naive gRPC server (one synchronous ORT call per request), (c) OpenCV DNN in-process,
#   for the bundled default model and, when ../shared is present, yolox_nano and yolov8n_int8.
# Usage: benchmarks/run-performance.sh [OUT_DIR]     (about 15 minutes)
# The server runs with Session:AutoTune=true; every client keeps one frame in flight per stream/caller
# (perf_analyzer's concurrency mode), so latency is the server's, not client-side queueing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for p in src/InferenceServer src/InferenceServer.Cli benchmarks/InferenceServer.Benchmarks benchmarks/InferenceServer.NaiveServer; do
  dotnet build "$p" -c Release -nologo -v quiet >/dev/null
done
bin=net10.0/linux-x64
server="dotnet src/InferenceServer/bin/Release/$bin/InferenceServer.dll"
infer="dotnet src/InferenceServer.Cli/bin/Release/$bin/infer.dll"
bench="dotnet benchmarks/InferenceServer.Benchmarks/bin/Release/$bin/InferenceServer.Benchmarks.dll"
naive="dotnet benchmarks/InferenceServer.NaiveServer/bin/Release/$bin/InferenceServer.NaiveServer.dll"

repo="$out/repository"
rm -rf "$repo" && mkdir -p "$repo/shapes/1"
cp models/repository/shapes/1/model.onnx models/repository/shapes/1/manifest.json "$repo/shapes/1/"
models=(shapes)
if [ -f ../shared/models/yolox_nano.onnx ]; then
  mkdir -p "$repo/yolox_nano/1" && cp ../shared/models/yolox_nano.onnx "$repo/yolox_nano/1/model.onnx"
  cp ../shared/models/coco.names "$repo/yolox_nano/1/labels.txt" && touch "$repo/yolox_nano/1/READY"
  models+=(yolox_nano)
fi
if [ -f ../shared/models/yolov8n_int8.onnx ]; then
  mkdir -p "$repo/yolov8n_int8/1" && cp ../shared/models/yolov8n_int8.onnx "$repo/yolov8n_int8/1/model.onnx" && touch "$repo/yolov8n_int8/1/READY"
  models+=(yolov8n_int8)
fi

wait_ready() { for _ in $(seq 1 240); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "server did not become ready" >&2; return 1; }

echo "== raw ONNX Runtime (a) and OpenCV DNN (c)"
for m in "${models[@]}"; do
  [ -n "${REUSE_RAW:-}" ] && [ -f "$out/tune-$m.json" ] && continue
  $bench raw-throughput "$repo/$m/1/model.onnx" --json "$out/raw-$m.json"
  size=$(python3 -c "import json;d=json.load(open('$repo/$m/1/manifest.json')) if '$m'=='shapes' else None;print('%d %d'%(d['input_width'],d['input_height']) if d else ('416 416' if '$m'=='yolox_nano' else '640 640'))")
  $bench opencv-dnn "$repo/$m/1/model.onnx" $size --json "$out/cv-$m.json"
  $bench autotune "$repo/$m/1/model.onnx" --json "$out/tune-$m.json" >/dev/null
done

echo "== InferenceServer"
$server --InferenceServer:ListenAddress=127.0.0.1 --InferenceServer:HttpPort=18000 --InferenceServer:GrpcPort=18001 \
  --InferenceServer:MetricsPort=18002 --InferenceServer:ModelRepository="$repo" --InferenceServer:DefaultModel=shapes \
  --InferenceServer:Session:Provider=Cpu --InferenceServer:Session:AutoTune=true \
  --InferenceServer:Auth:Enabled=false --InferenceServer:AuditLogPath= \
  ${SERVER_ARGS:-} --Logging:LogLevel:Default=Warning > "$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_ready http://127.0.0.1:18000/v2/health/ready
for _ in $(seq 1 240); do  # the other models load (and auto-tune) after the default one
  [ "$(curl -s http://127.0.0.1:18000/v1/models | python3 -c 'import json,sys;print(sum(1 for m in json.load(sys.stdin) if m["serving"]))')" = "${#models[@]}" ] && break
  sleep 0.5
done
for m in "${models[@]}"; do
  $infer bench --server http://127.0.0.1:18001 --model "$m" --streams 1,4,8 --label "server-$m" --json "$out/server-$m.json" >/dev/null
done
kill $pid; wait $pid 2>/dev/null || true

echo "== naive server (b)"
for m in "${models[@]}"; do
  [ -n "${REUSE_NAIVE:-}" ] && [ -f "$out/naive-$m.json" ] && continue
  $naive "$repo/$m/1/model.onnx" 19001 > "$out/naive-$m.log" 2>&1 &
  npid=$!
  for _ in $(seq 1 60); do grep -q "naive server" "$out/naive-$m.log" && break; sleep 0.5; done
  $infer bench --server http://127.0.0.1:19001 --unary --streams 1,4,8 --label "naive-$m" --json "$out/naive-$m.json" >/dev/null
  kill $npid; wait $npid 2>/dev/null || true
done

python3 benchmarks/make_report.py "$out" docs/performance.md "${models[@]}"
echo "results in $out; tables written to docs/performance.md"
