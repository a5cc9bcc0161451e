"""Prefill of a torchao-quantized, torch.compile'd Llama-3.1-8B-shaped decoder (e2e_llama's model, `--layers` of
32, without lm_head) with Inductor alone and with xeon_kernels.inductor.register(), both compiled (freezing) in one
process and timed in interleaved rounds, so the machine's drift falls on both alike.

    .venv/bin/python benchmarks/compiled_prefill_ab.py [--layers 2] [--scheme da8w4] [--prompt 1024] [--rounds 4]
"""
import argparse
import copy
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import machine_description  # noqa: E402
from e2e_llama import LLAMA_31_8B, build, make  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--scheme", default="da8w4", choices=["da8w8", "a16w8", "da8w4", "a16w4"])
    ap.add_argument("--prompt", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    import torch._inductor.config as inductor_config
    import xeon_kernels.inductor as xi
    m = machine_description()
    print(f"# {m['cpu']} | {m['torch_threads']} threads | torch {m['torch_version']} | path {m['selected_path']}; "
          f"torchao {args.scheme}, {args.layers} layers, prompt {args.prompt}")
    base = make(build(args.layers), "torchao", args.scheme)
    ids = torch.randint(0, LLAMA_31_8B["vocab_size"], (1, args.prompt), generator=torch.Generator().manual_seed(1))
    compiled = {}
    with torch.no_grad(), inductor_config.patch(freezing=True):
        for name, register in (("Inductor alone", False), ("register()", True)):
            (xi.register if register else xi.unregister)()
            compiled[name] = torch.compile(copy.deepcopy(base).model)
            compiled[name](ids)  # compiles with the pass as now registered (the graph keeps it afterwards)
        xi.unregister()
        times = {name: [] for name in compiled}
        for _ in range(args.rounds):
            for name, f in compiled.items():
                t0 = time.perf_counter()
                f(ids)
                times[name].append(time.perf_counter() - t0)
    for name, t in times.items():
        print(f"{name:15} median {statistics.median(t) * 1e3:7.0f} ms; rounds {[round(x * 1e3) for x in t]}")


if __name__ == "__main__":
    main()
