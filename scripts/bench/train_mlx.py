"""mlx-lm (on mlx-cpu) side of the LoRA training benchmark, with the settings of
scripts/bench/train_peft.py and scripts/bench/lora_bench.yaml: SmolLM2-135M-Instruct (float32,
dequantized from the GGUF), data/sql prompt/completion records through the chat template with the
prompt masked, rank 8, alpha 16 (mlx-lm's scale 2.0), all 7 linear modules of the top 16 layers,
AdamW (lr 1e-4, weight decay 0.01, constant; mlx's AdamW has no bias correction unless
--bias-correction is given), batch 4 in the same seeded random order as the PEFT
script, then the validation loss over the whole valid split.

mlx-lm's own pieces do the work: mlx_lm.load, mlx_lm.tuner.linear_to_lora_layers, its
CompletionsDataset (tokens and prompt offsets), its default_loss and a train step compiled the
way mlx_lm.tuner.trainer.train compiles it. Two things differ from `mlx_lm lora`, on purpose:
- batches are drawn at random (train_peft.py's order) instead of from length-sorted windows;
  rows are padded as mlx-lm's iterate_batches pads them (to 1 + a multiple of 32 tokens);
- the loss covers the same targets as PEFT and Graft: mlx-lm 0.32.2's default_loss, given an
  example's full length, also trains on the padding token after its last token, so it is given
  the length minus one.
tokens/s counts real (unpadded) input positions, the example's length minus one, as
train_peft.py and Graft count them (mlx-lm's own report counts only the unmasked targets).

Base weights: float32. mlx-cpu's 4-bit matmul is ~25x slower than its float32 path on Linux
(/work/shared/docs/anchors.md), so the quantized model would measure that, not LoRA training.
mlx-lm needs a Hugging Face folder: a child process writes one from the GGUF with transformers
(as scripts/fixtures/mlx_adapter_reference.py does, with rope_theta at the top level of
config.json, which is the only place mlx-lm 0.32.2 reads it) and it is reused while the GGUF is
unchanged. The mlx-cpu wheel bundles a reference BLAS (~1 GFLOP/s); the script re-runs itself
with the system's OpenBLAS in LD_PRELOAD, limited to --threads threads.

Prints one JSON line like train_peft.py's: steps, tokens/s of the steps only (loading and
evaluation excluded), peak RSS of this process, validation loss.
"""
import argparse
import glob
import json
import os
import random
import resource
import subprocess
import sys
import time

PAD_TO = 32  # mlx_lm.tuner.trainer.iterate_batches pads rows to 1 + a multiple of this
BATCH = 4
RANK, ALPHA, LAYERS = 8, 16, 16
LR, WEIGHT_DECAY = 1e-4, 0.01
KEYS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True, help="the GGUF (the same file Graft and train_peft.py use)")
ap.add_argument("--data", default="data/sql")
ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--bias-correction", action="store_true",
                help="AdamW with bias correction, as Graft and PyTorch do (mlx's default, used by mlx-lm, has none)")
ap.add_argument("--base-dir", default="bench-out/mlx-base", help="where the float32 Hugging Face folder is kept")
ap.add_argument("--write-base", action="store_true", help=argparse.SUPPRESS)  # child process mode
args = ap.parse_args()
if not os.path.isfile(args.model):
    sys.exit(f"train_mlx.py: model file missing: {args.model} (run scripts/fetch-model.sh)")


def source_stamp():
    stat = os.stat(args.model)
    return {"gguf": os.path.abspath(args.model), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def write_base():
    """The GGUF as a float32 Hugging Face folder for mlx-lm (run in a child: torch stays out of
    the measured process)."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, name = os.path.split(os.path.abspath(args.model))
    tok = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    os.makedirs(args.base_dir, exist_ok=True)
    weights = {k: v.detach().contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    assert all(v.dtype == torch.float32 for v in weights.values())
    save_file(weights, os.path.join(args.base_dir, "model.safetensors"), metadata={"format": "pt"})
    tok.save_pretrained(args.base_dir)
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["rope_theta"] = config["rope_parameters"]["rope_theta"]
    with open(os.path.join(args.base_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(args.base_dir, "source.json"), "w", encoding="utf-8") as f:
        json.dump(source_stamp(), f)


if args.write_base:
    write_base()
    sys.exit(0)

# The system's OpenBLAS (scripts/setup.sh installs libopenblas-dev); without it the run would take hours.
OPENBLAS = next(iter(sorted(glob.glob("/usr/lib/*-linux-gnu/libopenblas.so.0") + glob.glob("/usr/lib/libopenblas.so.0"))), None)
if OPENBLAS is None:
    sys.exit("train_mlx.py: no libopenblas.so.0 under /usr/lib (install libopenblas0); mlx-cpu's bundled "
             "reference BLAS is ~20x slower and would not measure mlx-lm's training")
if OPENBLAS not in os.environ.get("LD_PRELOAD", ""):
    preload = ":".join(p for p in [OPENBLAS, os.environ.get("LD_PRELOAD")] if p)
    threads = str(args.threads)
    os.execve(sys.executable, [sys.executable, *sys.argv],
              {**os.environ, "LD_PRELOAD": preload, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads})

stamp_file = os.path.join(args.base_dir, "source.json")
if not os.path.exists(stamp_file) or json.load(open(stamp_file)) != source_stamp():
    subprocess.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--write-base"], check=True,
                   stdout=subprocess.DEVNULL)

from functools import partial
from importlib.metadata import version

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from mlx.utils import tree_flatten
from mlx_lm import load
from mlx_lm.tuner.datasets import CompletionsDataset
from mlx_lm.tuner.trainer import default_loss
from mlx_lm.tuner.utils import linear_to_lora_layers

mx.random.seed(0)
model, tok = load(args.base_dir)
assert model.model.layers[0].self_attn.q_proj.weight.dtype == mx.float32
rope_theta = model.args.rope_theta  # what mlx-lm runs with: the GGUF's 100000, not mlx-lm's 10000 default
with open(os.path.join(args.base_dir, "config.json")) as f:
    assert rope_theta == json.load(f)["rope_parameters"]["rope_theta"], rope_theta
model.freeze()
linear_to_lora_layers(model, LAYERS, {"rank": RANK, "scale": ALPHA / RANK, "dropout": 0.0, "keys": KEYS})
trainable = tree_flatten(model.trainable_parameters())
assert len(trainable) == 2 * len(KEYS) * LAYERS, len(trainable)


def load_split(split):
    with open(os.path.join(args.data, f"{split}.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    data = CompletionsDataset(records, tok, "prompt", "completion", mask_prompt=True)
    return [data.process(data[i]) for i in range(len(data))]


def batch(examples):
    """Rows padded as mlx-lm's iterate_batches pads them; (offset, last target) per row, so that
    default_loss trains the targets train_peft.py trains; and the real input positions."""
    longest = max(len(ids) for ids, _ in examples)
    width = 1 + PAD_TO * ((longest + PAD_TO - 1) // PAD_TO)
    rows = np.zeros((len(examples), width), np.int32)
    for row, (ids, _) in enumerate(examples):
        rows[row, :len(ids)] = ids
    spans = [(offset, len(ids) - 1) for ids, offset in examples]
    return mx.array(rows), mx.array(spans), sum(len(ids) - 1 for ids, _ in examples)


train, valid = load_split("train"), load_split("valid")
order = list(range(len(train)))
random.Random(0).shuffle(order)
opt = optim.AdamW(learning_rate=LR, weight_decay=WEIGHT_DECAY, bias_correction=args.bias_correction)
loss_value_and_grad = nn.value_and_grad(model, default_loss)
state = [model.state, opt.state, mx.random.state]


@partial(mx.compile, inputs=state, outputs=state)
def step(inputs, spans):
    (loss, count), grad = loss_value_and_grad(model, inputs, spans)
    opt.update(model, grad)
    return loss, count


model.train()
tokens = 0
start = time.perf_counter()
for i in range(args.steps):
    inputs, spans, n = batch([train[order[(i * BATCH + k) % len(order)]] for k in range(BATCH)])
    loss, _ = step(inputs, spans)
    mx.eval(state, loss)
    tokens += n
elapsed = time.perf_counter() - start

model.eval()
total, count = 0.0, 0
for i in range(0, len(valid), BATCH):
    inputs, spans, _ = batch(valid[i:i + BATCH])
    loss, trained = default_loss(model, inputs, spans)
    total += loss.item() * trained.item()
    count += trained.item()
print(json.dumps({"bench": "lora_train", "tool": "mlx-lm", "mlx": version("mlx"), "mlx_lm": version("mlx-lm"),
                  "steps": args.steps, "tokens_per_second": tokens / elapsed,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "validation_loss": total / count, "bias_correction": args.bias_correction,
                  "note": f"float32 base (mlx-cpu's 4-bit path is ~25x slower), OpenBLAS via LD_PRELOAD, "
                          f"{args.threads} BLAS threads, AdamW "
                          + ("with bias correction (not mlx's default)" if args.bias_correction
                             else "without bias correction (mlx's default, as mlx-lm runs it)") + ", "
                          f"rope_theta {rope_theta:g}, compiled step, rows padded to 1+32k as mlx-lm pads them"}))
