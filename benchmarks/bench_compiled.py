"""The compiled flow of the PyTorch 2.8 blog with and without xeon_kernels.inductor.register(), per scheme, against
our eager call, at a Llama-3.1-8B linear shape; all timings from one run, medians; compile times apart.

    .venv/bin/python benchmarks/bench_compiled.py [--n 4096 --k 4096] [--m 1 1024] [--max-autotune]

Rows per scheme and M: Inductor alone (torchao's graph compiled with freezing), Inductor + register(), and the
eager xeon module on the same codes (xk.from_torchao); ratios are against Inductor alone and against eager xeon.
"""
import argparse
import copy
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_description, median_time  # noqa: E402

import xeon_kernels as xk  # noqa: E402
import xeon_kernels.inductor as xi  # noqa: E402


def configs():
    from torchao.prototype.quantization.int4 import (Int8DynamicActivationInt4WeightConfig,
                                                     PrototypeInt4WeightOnlyConfig)
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig
    return {"da8w8": Int8DynamicActivationInt8WeightConfig(), "a16w8": Int8WeightOnlyConfig(),
            "a16w4": PrototypeInt4WeightOnlyConfig(group_size=128),
            "da8w4": Int8DynamicActivationInt4WeightConfig(group_size=128)}


def compiled(model, x, register, options):
    import torch._inductor.config as inductor_config
    torch._dynamo.reset()
    (xi.register if register else xi.unregister)()
    with inductor_config.patch(**options):
        f = torch.compile(copy.deepcopy(model))
        t0 = time.perf_counter()
        f(x)
        compile_s = time.perf_counter() - t0
        return f, compile_s


def main():
    from torchao.quantization import quantize_
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--m", type=int, nargs="+", default=[1, 1024])
    ap.add_argument("--schemes", nargs="+", default=list(configs()))
    ap.add_argument("--max-autotune", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "compiled.json"))
    args = ap.parse_args()
    options = {"freezing": True}
    if args.max_autotune:
        options["max_autotune"] = True
    rows = []
    torch.manual_seed(0)
    for scheme in args.schemes:
        model = nn.Sequential(nn.Linear(args.k, args.n, bias=False)).to(torch.bfloat16).eval()
        quantize_(model, configs()[scheme])
        ours = xk.from_torchao(copy.deepcopy(model))
        for m in args.m:
            x = torch.randn(m, args.k, dtype=torch.bfloat16)
            with torch.no_grad():
                alone, alone_compile = compiled(model, x, False, options)
                reg, reg_compile = compiled(model, x, True, options)
                t = {"inductor": median_time(lambda: alone(x)), "inductor+register": median_time(lambda: reg(x)),
                     "xeon eager": median_time(lambda: ours(x))}
            xi.unregister()
            row = dict(scheme=scheme, m=m, n=args.n, k=args.k, **{f"{k} ms": v * 1e3 for k, v in t.items()},
                       compile_s_inductor=alone_compile, compile_s_register=reg_compile,
                       speedup_vs_inductor=t["inductor"] / t["inductor+register"],
                       register_vs_eager=t["inductor+register"] / t["xeon eager"])
            rows.append(row)
            print(f"{scheme} M={m}: inductor {t['inductor'] * 1e3:.3f} ms, +register {t['inductor+register'] * 1e3:.3f}"
                  f" ms, xeon eager {t['xeon eager'] * 1e3:.3f} ms; register is {row['speedup_vs_inductor']:.2f}x "
                  f"Inductor alone, {row['register_vs_eager']:.2f}x eager's time; compile {alone_compile:.1f} s / "
                  f"{reg_compile:.1f} s", flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": machine_description(), "options": options, "rows": rows}, f, indent=1)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
