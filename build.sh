#!/usr/bin/env bash
# InferenceServer set-up, build, run and test, on Debian 12 with the .NET 10 SDK.
#   ./build.sh run [server args...]   install what is missing, build, start the server on the bundled model
#   ./build.sh test                   install what is missing, build, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the native runtimes need: OpenCvSharp's full runtime links GTK 3; network feeds run ffmpeg, and
# H.264/H.265 RTSP cameras gst-launch-1.0 (rtspsrc in plugins-good, avdec_h264/h265 in gstreamer1.0-libav).
RUNTIME_PACKAGES=(libgtk-3-0 ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav)
# The training code (models/training) runs on Debian's PyTorch; the feed tests serve RTSP with GStreamer.
TEST_PACKAGES=(python3-torch python3-onnx python3-opencv python3-numpy
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-bad)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "build.sh: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

case "${1:-}" in
  run)
    shift
    install_missing "${RUNTIME_PACKAGES[@]}"
    dotnet build src/InferenceServer/InferenceServer.csproj -c Release -nologo -v quiet
    # Local development: auth is off unless configured (INFERENCESERVER__AUTH__*); the server warns when it is.
    auth=()
    if [ -z "${INFERENCESERVER__AUTH__ENABLED:-}${INFERENCESERVER__AUTH__KEYFILE:-}" ]; then
      auth=(--InferenceServer:Auth:Enabled=false)
    fi
    exec dotnet src/InferenceServer/bin/Release/net10.0/linux-x64/InferenceServer.dll "${auth[@]}" "$@"
    ;;
  test)
    shift
    install_missing "${RUNTIME_PACKAGES[@]}" ${TEST_PACKAGES[@]+"${TEST_PACKAGES[@]}"}
    dotnet build InferenceServer.sln -c Release -nologo -v quiet
    log=$(mktemp)
    set +e
    dotnet test tests/InferenceServer.Tests/InferenceServer.Tests.csproj -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    # One plain totals line, summed over test assemblies (CI reads it).
    # Handles both summary styles: "Passed!  - Failed: 0, Passed: 9, Skipped: 0, ..." and "     Passed: 9".
    awk '/(Passed|Failed)! +- +Failed: /{ seen = 1
           for (i = 1; i < NF; i++) { v = $(i+1); gsub(",", "", v);
             if ($i == "Failed:") f += v; if ($i == "Passed:") p += v; if ($i == "Skipped:") s += v } }
         /^ +(Passed|Failed|Skipped): +[0-9]+$/ { n[$1] += $2 }
         END { if (!seen) { p = n["Passed:"]; f = n["Failed:"]; s = n["Skipped:"] }
               printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
    rm -f "$log"
    exit "$status"
    ;;
  *)
    echo "usage: ./build.sh run [server args...] | ./build.sh test [dotnet test args...]" >&2
    exit 2
    ;;
esac
