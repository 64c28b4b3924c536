#!/usr/bin/env bash
# Installs the Debian 12 packages ferry needs to build and test (and, with --bench, to run the
# benchmarks against their peers; with --fuzz, to run `make fuzz`). Runs apt-get as root, or
# through sudo when not root.
set -euo pipefail

build_and_test=(
    build-essential cmake pkg-config make
    libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev libxgboost-dev
    libcmocka-dev libsqlite3-dev prometheus clang-format curl ca-certificates
    protobuf-c-compiler libprotobuf-c-dev libonnx-dev libdnnl-dev
    libgrpc-dev python3-grpcio python3-grpc-tools
)
fuzz=(clang libclang-rt-14-dev)
bench=(
    wrk nginx-light curl
    python3 python3-numpy python3-xgboost python3-sklearn
    python3-fastapi python3-uvicorn python3-uvloop python3-httptools
)

packages=("${build_and_test[@]}")
case "${1:-}" in
--bench) packages+=("${bench[@]}") ;;
--fuzz) packages+=("${fuzz[@]}") ;;
esac

as_root=()
if [[ "$(id -u)" != 0 ]]; then
    as_root=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
