"""PyTorch + PEFT side of the LoRA training benchmark, with Graft's quickstart settings:
SmolLM2-135M-Instruct (float32, dequantized from the GGUF), data/sql prompt/completion records
through the chat template with the prompt masked, rank 8, alpha 16, all 7 linear modules of the
top 16 layers, AdamW (lr 1e-4, weight decay 0.01, constant), batch 4 in a seeded order.

Prints one JSON line: tokens/s (real, unpadded tokens, as mlx-lm counts), peak RSS and the
validation loss after the run.
"""
import argparse
import json
import os
import random
import resource
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--data", default="data/sql")
ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0, help="seeds the LoRA initialisation and the batch order")
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

directory, name = os.path.split(os.path.abspath(args.model))
tok = AutoTokenizer.from_pretrained(directory, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, torch_dtype=torch.float32)
layers = model.config.num_hidden_layers
model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0,
                                         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                                         layers_to_transform=list(range(layers - 16, layers))))


def encode(record):
    chat = [{"role": "user", "content": record["prompt"]}, {"role": "assistant", "content": record["completion"]}]
    full = tok(tok.apply_chat_template(chat, tokenize=False), add_special_tokens=False)["input_ids"]
    prompt = tok(tok.apply_chat_template(chat[:1], tokenize=False, add_generation_prompt=True),
                 add_special_tokens=False)["input_ids"]
    return list(full), len(prompt)


def load(split):
    with open(os.path.join(args.data, f"{split}.jsonl")) as f:
        return [encode(json.loads(line)) for line in f if line.strip()]


def batch(examples):
    length = max(len(ids) for ids, _ in examples) - 1
    inputs = torch.zeros(len(examples), length, dtype=torch.long)
    targets = torch.full((len(examples), length), -100, dtype=torch.long)
    for row, (ids, offset) in enumerate(examples):
        n = len(ids) - 1
        inputs[row, :n] = torch.tensor(ids[:-1])
        t = torch.tensor(ids[1:])
        t[: max(offset - 1, 0)] = -100
        targets[row, :n] = t
    return inputs, targets, sum(len(ids) - 1 for ids, _ in examples)


def loss_of(inputs, targets):
    logits = model(input_ids=inputs).logits
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


train, valid = load("train"), load("valid")
order = list(range(len(train)))
random.Random(args.seed).shuffle(order)
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.01)
tokens = 0
start = time.perf_counter()
for step in range(args.steps):
    idx = [order[(step * 4 + k) % len(order)] for k in range(4)]
    inputs, targets, n = batch([train[i] for i in idx])
    opt.zero_grad(set_to_none=True)
    loss = loss_of(inputs, targets)
    loss.backward()
    opt.step()
    tokens += n
elapsed = time.perf_counter() - start
with torch.no_grad():
    total, count = 0.0, 0
    for i in range(0, len(valid), 4):
        inputs, targets, _ = batch(valid[i:i + 4])
        trained = int((targets != -100).sum())
        total += float(loss_of(inputs, targets)) * trained
        count += trained
print(json.dumps({"bench": "lora_train", "tool": "pytorch+peft", "torch": torch.__version__, "steps": args.steps,
                  "tokens_per_second": tokens / elapsed, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "validation_loss": total / count}))
