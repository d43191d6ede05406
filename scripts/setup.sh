#!/usr/bin/env bash
# Idempotent set-up for a Debian machine: system libraries, then the default model.
# Usage: scripts/setup.sh [--no-model]
set -euo pipefail

need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s libhdf5-dev     >/dev/null 2>&1 || need+=(libhdf5-dev)
dpkg -s pkg-config      >/dev/null 2>&1 || need+=(pkg-config)
dpkg -s unzip           >/dev/null 2>&1 || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "setup: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "setup: Swift 6 toolchain not found (install it from swift.org)" >&2
    fi
    exit 1
fi

if [ "${1:-}" != "--no-model" ]; then
    "$(dirname "$0")/fetch-model.sh"
fi
