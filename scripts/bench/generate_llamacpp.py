"""Generation speed of llama.cpp (llama-cpp-python) on the same GGUF and prompts as Graft.

Prefill: one eval of the prefill prompt. Decode: greedy, one token per eval, after the decode
prompt, for a fixed number of tokens (EOS does not stop it). Prints one JSON line.
"""
import argparse
import json
import resource
import time

import numpy as np
from llama_cpp import Llama

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--decode-prompt", required=True)
parser.add_argument("--prefill-prompt", required=True)
parser.add_argument("--tokens", type=int, default=256)
args = parser.parse_args()

llm = Llama(model_path=args.model, n_ctx=2048, n_batch=1024, n_ubatch=1024, n_threads=args.threads,
            n_threads_batch=args.threads, verbose=False)

prefill_ids = llm.tokenize(open(args.prefill_prompt, encoding="utf-8").read().encode())
llm.reset()
start = time.perf_counter()
llm.eval(prefill_ids)
prefill_seconds = time.perf_counter() - start

decode_ids = llm.tokenize(open(args.decode_prompt, encoding="utf-8").read().encode())
llm.reset()
llm.eval(decode_ids)
start = time.perf_counter()
for _ in range(args.tokens):
    token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
    llm.eval([token])
decode_seconds = time.perf_counter() - start

print(json.dumps({"bench": "generate", "tool": "llama.cpp", "threads": args.threads,
                  "prefill_tokens": len(prefill_ids), "prefill_tokens_per_second": len(prefill_ids) / prefill_seconds,
                  "decode_prompt_tokens": len(decode_ids), "decode_tokens": args.tokens,
                  "decode_tokens_per_second": args.tokens / decode_seconds,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
