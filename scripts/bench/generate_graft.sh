#!/usr/bin/env bash
# Generation speed of Graft on the same GGUF and prompts: `graft generate --verbose` once for
# prefill (one token after the prefill prompt) and once for decode; prints one JSON line.
#   usage: generate_graft.sh MODEL THREADS DECODE_PROMPT PREFILL_PROMPT TOKENS [ADAPTER]
# With ADAPTER (a run folder or checkpoint), the adapters are fused at load (tool "graft+adapter");
# with GRAFT_ACTIVATIONS=int8, decoding rounds activations to 8 bits (tool "graft-int8").
set -euo pipefail
MODEL=$1 THREADS=$2 DECODE=$3 PREFILL=$4 TOKENS=$5 ADAPTER=${6:-}
GRAFT=.build/release/graft
EXTRA=()
TOOL=graft
if [ -n "$ADAPTER" ]; then EXTRA=(--adapter "$ADAPTER"); TOOL=graft+adapter; fi
if [ "${GRAFT_ACTIVATIONS:-float32}" = int8 ]; then EXTRA+=(--activations int8); TOOL=$TOOL-int8; fi
prefill=$(GRAFT_NUM_THREADS=$THREADS $GRAFT generate --model "$MODEL" "${EXTRA[@]}" --no-chat-template --prompt - \
    --max-tokens 1 --verbose < "$PREFILL" 2>&1 >/dev/null)
decode=$(GRAFT_NUM_THREADS=$THREADS $GRAFT generate --model "$MODEL" "${EXTRA[@]}" --no-chat-template --prompt - \
    --max-tokens "$TOKENS" --verbose < "$DECODE" 2>&1 >/dev/null)
python3 - "$THREADS" "$prefill" "$decode" "$TOOL" <<'PY'
import json, re, sys
threads, prefill, decode, tool = sys.argv[1:]
def field(text, pattern):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"generate_graft.sh: no match for {pattern!r} in:\n{text}")
    return m.groups()
p_tokens, p_rate = field(prefill, r"Prompt: (\d+) tokens, ([\d.]+) tokens-per-sec")
d_prompt, _ = field(decode, r"Prompt: (\d+) tokens, ([\d.]+) tokens-per-sec")
d_tokens, d_rate = field(decode, r"Generation: (\d+) tokens, ([\d.]+) tokens-per-sec")
rss = max(float(field(t, r"([\d.]+) GB resident")[0]) for t in (prefill, decode))
print(json.dumps({"bench": "generate", "tool": tool, "threads": int(threads),
                  "prefill_tokens": int(p_tokens), "prefill_tokens_per_second": float(p_rate),
                  "decode_prompt_tokens": int(d_prompt), "decode_tokens": int(d_tokens),
                  "decode_tokens_per_second": float(d_rate), "peak_rss_bytes": rss * 1e9}))
PY
