#!/usr/bin/env bash
# Benchmarks (release build) next to the reference tools; writes BENCHMARKS.md.
# Reference tools are installed once into an ignored venv (.venv-bench) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
THREADS="${BENCH_THREADS:-2}"
VENV=.venv-bench
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# A local CPU wheel of torch, when the machine has one, avoids the large default download.
FIND_LINKS=""
[ -d /opt/wheels ] && FIND_LINKS="--find-links /opt/wheels"
"$VENV/bin/pip" install --quiet $FIND_LINKS -r scripts/bench/requirements.txt
swift build -c release --product GraftBench >/dev/null
mkdir -p bench-out
GRAFT_NUM_THREADS=$THREADS .build/release/GraftBench all --steps 50 | tee bench-out/graft.jsonl
OMP_NUM_THREADS=$THREADS "$VENV/bin/python" scripts/bench/mlp_torch.py --threads "$THREADS" --steps 50 | tee bench-out/torch.jsonl
"$VENV/bin/python" scripts/bench/report.py bench-out/graft.jsonl bench-out/torch.jsonl > BENCHMARKS.md
cat BENCHMARKS.md
