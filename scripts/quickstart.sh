#!/usr/bin/env bash
# The README's main job: set up, build, LoRA-train SmolLM2 on the shipped text-to-SQL data
# (recipes/quickstart.yaml), then answer held-out questions with the base and the tuned model.
# Extra arguments go to `graft train` (e.g. --set train.iters=50).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/setup.sh
swift build -c release --product graft
GRAFT=.build/release/graft
RUN=checkpoints/quickstart

if [ -f "$RUN/latest" ] && [ "${QUICKSTART_FRESH:-0}" != "1" ]; then
    echo "== continuing the quickstart run in $RUN (QUICKSTART_FRESH=1 starts over)"
    "$GRAFT" train recipes/quickstart.yaml --resume "$RUN" "$@"
else
    rm -rf "$RUN"
    "$GRAFT" train recipes/quickstart.yaml "$@"
fi

echo
echo "== held-out questions (data/sql/test.jsonl): base model vs tuned model (greedy)"
python3 - <<'PY' > "$RUN/held-out.txt"
import json
with open("data/sql/test.jsonl") as f:
    for line in list(f)[:3]:
        print(json.dumps(json.loads(line)))
PY
while IFS= read -r record; do
    prompt=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["prompt"])' "$record")
    expected=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["completion"])' "$record")
    echo "--- question:  $prompt"
    echo "    expected:  $expected"
    echo "    base:      $("$GRAFT" generate --prompt "$prompt" --max-tokens 80 | tr '\n' ' ')"
    echo "    tuned:     $("$GRAFT" generate --prompt "$prompt" --max-tokens 80 --adapter "$RUN" | tr '\n' ' ')"
done < "$RUN/held-out.txt"
