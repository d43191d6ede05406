"""Turns the benchmark JSON lines into BENCHMARKS.md (ratios, with the commands)."""
import datetime
import json
import platform
import sys

graft = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
torch = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
by = {r["bench"]: r for r in graft}
tm = next(r for r in torch if r["bench"] == "mlp_step")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())

print("# Benchmarks\n")
print(f"Measured {datetime.date.today()} on {cpu}, {tm['threads']} threads, release build, "
      "all in one run of `make bench` (scripts/bench.sh). Ratios > 1 mean Graft is faster.\n")
print("## Tensor core (issue 2)\n")
print("| benchmark | Graft | reference | ratio (Graft / reference throughput) | target |")
print("|---|---|---|---|---|")
m = by["matmul_1024"]
print(f"| 1024³ float32 matmul through the graph vs direct `cblas_sgemm` | {m['graft_gflops']:.0f} GFLOP/s | "
      f"{m['cblas_gflops']:.0f} GFLOP/s | {m['ratio']:.2f}× | ≥ 0.9× |")
e = by["silu_mul_16M"]
print(f"| `silu(a) * b` on 16M float32 vs a plain copy of 64 MB | {e['graft_gbps']:.1f} GB/s | "
      f"{e['copy_gbps']:.1f} GB/s | {e['ratio']:.2f}× | ≥ 0.5× |")
g = by["mlp_step"]
print(f"| MLP training step {g['shape']} (fwd+bwd+AdamW) vs PyTorch {tm['torch']} | {g['graft_ms']:.1f} ms | "
      f"{tm['torch_ms']:.1f} ms | {tm['torch_ms'] / g['graft_ms']:.2f}× | ≥ 1.0× |")
print("\nCommands: `GRAFT_NUM_THREADS=2 .build/release/GraftBench all --steps 50`, "
      "`OMP_NUM_THREADS=2 python scripts/bench/mlp_torch.py --threads 2 --steps 50`.")
