#!/usr/bin/env bash
# The README's main job. Until the LoRA quickstart lands, it builds Graft and runs the engine
# demo: a two-layer MLP trained on generated data, printing the falling loss.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh
swift build -c release --product graft
.build/release/graft demo
