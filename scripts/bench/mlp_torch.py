"""PyTorch side of the MLP training-step benchmark: same shapes, optimizer and threads as
GraftBench's `mlp` (batch 512, 512→1024→1024→10, SiLU, cross-entropy, AdamW lr 1e-3)."""
import argparse
import json
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=50)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
x = torch.randn(512, 512)
y = torch.randint(0, 10, (512,))
model = torch.nn.Sequential(torch.nn.Linear(512, 1024), torch.nn.SiLU(), torch.nn.Linear(1024, 1024),
                            torch.nn.SiLU(), torch.nn.Linear(1024, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)


def step():
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


for _ in range(5):
    step()
start = time.perf_counter()
for _ in range(args.steps):
    step()
elapsed = time.perf_counter() - start
print(json.dumps({"bench": "mlp_step", "torch_ms": elapsed / args.steps * 1000, "threads": args.threads,
                  "torch": torch.__version__}))
