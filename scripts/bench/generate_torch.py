"""Generation speed of PyTorch + transformers (float32 weights dequantized from the same GGUF).

Prefill: one forward pass over the prefill prompt. Decode: `generate` greedy with exactly the
given number of new tokens after the decode prompt. Prints one JSON line.
"""
import argparse
import json
import os
import resource
import time

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--decode-prompt", required=True)
parser.add_argument("--prefill-prompt", required=True)
parser.add_argument("--tokens", type=int, default=256)
args = parser.parse_args()
torch.set_num_threads(args.threads)

folder, name = os.path.split(os.path.abspath(args.model))
tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()

with torch.inference_mode():
    prefill = tokenizer(open(args.prefill_prompt, encoding="utf-8").read(), return_tensors="pt").input_ids
    model(prefill[:, :8])  # warm-up
    start = time.perf_counter()
    model(prefill, use_cache=True)
    prefill_seconds = time.perf_counter() - start

    prompt = tokenizer(open(args.decode_prompt, encoding="utf-8").read(), return_tensors="pt").input_ids
    start = time.perf_counter()
    out = model.generate(prompt, max_new_tokens=args.tokens, min_new_tokens=args.tokens, do_sample=False)
    total = time.perf_counter() - start
    # generate() includes the prompt's forward pass; take it out with a separate timing.
    start = time.perf_counter()
    model(prompt, use_cache=True)
    prompt_seconds = time.perf_counter() - start
    generated = out.shape[1] - prompt.shape[1]

print(json.dumps({"bench": "generate", "tool": "pytorch", "torch": torch.__version__, "threads": args.threads,
                  "prefill_tokens": prefill.shape[1], "prefill_tokens_per_second": prefill.shape[1] / prefill_seconds,
                  "decode_prompt_tokens": prompt.shape[1], "decode_tokens": generated,
                  "decode_tokens_per_second": generated / max(total - prompt_seconds, 1e-9),
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
