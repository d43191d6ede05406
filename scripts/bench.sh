#!/usr/bin/env bash
# Benchmarks (release build) next to the reference tools; writes BENCHMARKS.md.
# Reference tools are installed once into an ignored venv (.venv-bench) and reused.
#   BENCH_THREADS (default 2), BENCH_TRAIN_STEPS (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
THREADS="${BENCH_THREADS:-2}"
TRAIN_STEPS="${BENCH_TRAIN_STEPS:-50}"
MODEL="${GRAFT_CACHE:-$HOME/.cache/graft}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
VENV=.venv-bench
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# A local CPU wheel of torch, when the machine has one, avoids the large default download.
FIND_LINKS=""
[ -d /opt/wheels ] && FIND_LINKS="--find-links /opt/wheels"
"$VENV/bin/pip" install --quiet $FIND_LINKS -r scripts/bench/requirements.txt
swift build -c release --product GraftBench >/dev/null
swift build -c release --product graft >/dev/null
mkdir -p bench-out

# Tensor core.
GRAFT_NUM_THREADS=$THREADS .build/release/GraftBench all --steps 50 | tee bench-out/graft.jsonl
OMP_NUM_THREADS=$THREADS "$VENV/bin/python" scripts/bench/mlp_torch.py --threads "$THREADS" --steps 50 | tee bench-out/torch.jsonl

# Generation: the same GGUF and prompts for every tool; 256 greedy tokens after the decode prompt.
# Graft and llama.cpp alternate, three runs each (this VM's speed drifts 10-15% between runs;
# the report takes medians).
PROMPTS=scripts/bench/prompts
: > bench-out/generate.jsonl
for round in 1 2 3; do
    bash scripts/bench/generate_graft.sh "$MODEL" "$THREADS" $PROMPTS/decode.txt $PROMPTS/prefill.txt 256 | tee -a bench-out/generate.jsonl
    GRAFT_ACTIVATIONS=int8 bash scripts/bench/generate_graft.sh "$MODEL" "$THREADS" $PROMPTS/decode.txt $PROMPTS/prefill.txt 256 \
        | tee -a bench-out/generate.jsonl
    "$VENV/bin/python" scripts/bench/generate_llamacpp.py --model "$MODEL" --threads "$THREADS" \
        --decode-prompt $PROMPTS/decode.txt --prefill-prompt $PROMPTS/prefill.txt --tokens 256 | tee -a bench-out/generate.jsonl
done
OMP_NUM_THREADS=$THREADS "$VENV/bin/python" scripts/bench/generate_torch.py --model "$MODEL" --threads "$THREADS" \
    --decode-prompt $PROMPTS/decode.txt --prefill-prompt $PROMPTS/prefill.txt --tokens 256 2>/dev/null | tee -a bench-out/generate.jsonl

# Batched generation (issue 6): graft bench's curve (rounds of batch 1, 2, 4, 8): float32, 8-bit
# activations, and 8-bit activations with a float16 KV cache.
for setting in float32:float32 int8:float32 int8:float16; do
    GRAFT_NUM_THREADS=$THREADS .build/release/graft bench --model "$MODEL" --prompt-tokens 128 --gen-tokens 128 \
        --batch 1,2,4,8 --repeat 3 --activations "${setting%%:*}" --kv-cache "${setting##*:}" --json 2>/dev/null \
        > "bench-out/batch-${setting%%:*}-${setting##*:}.json"
done

# LoRA training: the quickstart settings with a constant learning rate (scripts/bench/lora_bench.yaml).
rm -rf bench-out/graft-run
GRAFT_NUM_THREADS=$THREADS .build/release/graft train scripts/bench/lora_bench.yaml --set train.iters="$TRAIN_STEPS" \
    --set eval.every="$TRAIN_STEPS" --set checkpoint.every="$TRAIN_STEPS" --set report.every="$TRAIN_STEPS" \
    > bench-out/graft-train.log
python3 - <<'PY' | tee bench-out/train.jsonl
import json
records = [json.loads(l) for l in open("bench-out/graft-run/metrics.jsonl")]
train = [r for r in records if r["kind"] == "train"]
valid = [r for r in records if r["kind"] == "validation"]
print(json.dumps({"bench": "lora_train", "tool": "graft", "steps": train[-1]["step"],
                  "tokens_per_second": train[-1]["tokens_per_second"], "peak_rss_bytes": max(r["peak_memory_bytes"] for r in train),
                  "validation_loss": valid[-1]["loss"]}))
PY
OMP_NUM_THREADS=$THREADS "$VENV/bin/python" scripts/bench/train_peft.py --model "$MODEL" --steps "$TRAIN_STEPS" \
    --threads "$THREADS" | tee -a bench-out/train.jsonl
# mlx-lm on mlx-cpu (pinned, installed into the bench venv once), float32 base written from the GGUF.
if ! "$VENV/bin/python" - scripts/bench/requirements-mlx.txt <<'PY' 2>/dev/null; then
import re, sys
from importlib.metadata import version
pins = [re.match(r"([\w.-]+)(\[.*\])?==(\S+)", l).groups() for l in open(sys.argv[1]) if "==" in l and not l.startswith("#")]
sys.exit(any(version(name) != pin for name, _, pin in pins))
PY
    "$VENV/bin/pip" install --quiet -r scripts/bench/requirements-mlx.txt
fi
"$VENV/bin/python" scripts/bench/train_mlx.py --model "$MODEL" --steps "$TRAIN_STEPS" \
    --threads "$THREADS" 2>bench-out/mlx-train.log | tee -a bench-out/train.jsonl

# Checkpoints, fuse and decoding with the tuned adapters (issue 5), on the run above.
CHECKPOINT=$(ls bench-out/graft-run/step-*.h5 | tail -1)
.build/release/GraftBench checkpoint "$CHECKPOINT" | tee bench-out/tuned.jsonl
rm -rf bench-out/fused
python3 - "$MODEL" <<'PY' | tee -a bench-out/tuned.jsonl
import json, subprocess, sys, time
start = time.perf_counter()
subprocess.run([".build/release/graft", "fuse", "--model", sys.argv[1], "--adapter", "bench-out/graft-run",
                "--output", "bench-out/fused", "--dtype", "f32"], check=True, capture_output=True)
print(json.dumps({"bench": "fuse", "output": "safetensors f32", "seconds": time.perf_counter() - start}))
PY
# The tuned model (adapters fused at load) and the base alternate, seven runs each (a ratio of
# two medians: three runs each left it swinging by ±0.05 between runs of this script; the
# report also gives the median of the ratios within each round).
for round in 1 2 3 4 5 6 7; do
    bash scripts/bench/generate_graft.sh "$MODEL" "$THREADS" $PROMPTS/decode.txt $PROMPTS/prefill.txt 256 | tee -a bench-out/tuned.jsonl
    bash scripts/bench/generate_graft.sh "$MODEL" "$THREADS" $PROMPTS/decode.txt $PROMPTS/prefill.txt 256 bench-out/graft-run \
        | tee -a bench-out/tuned.jsonl
done

"$VENV/bin/python" scripts/bench/report.py bench-out/graft.jsonl bench-out/torch.jsonl bench-out/train.jsonl \
    bench-out/generate.jsonl bench-out/tuned.jsonl bench-out/batch-float32-float32.json bench-out/batch-int8-float32.json \
    bench-out/batch-int8-float16.json > BENCHMARKS.md
cat BENCHMARKS.md
