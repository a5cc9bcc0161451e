"""The compiled flow of the PyTorch 2.8 blog with and without xeon_kernels.inductor.register(), per scheme, against
our eager call and Inductor's max-autotune, at a Llama-3.1-8B linear shape; all timings from one run, medians
of interleaved rounds; compile times apart.

    .venv/bin/python benchmarks/bench_compiled.py [--n 4096 --k 4096] [--m 1 1024] [--no-max-autotune]

Variants per scheme and M, each a torch.compile of its own copy of torchao's module with `freezing=True`:
"inductor" (Inductor alone), "max-autotune" (Inductor alone with max_autotune: its own GEMM templates where it has
them, else the same extern kernels), "register" (Inductor + xeon_kernels.inductor.register()), "xeon eager" (the
eager xeon module on the same codes, xk.from_torchao), and "register: generated code alone" (the `call` of the
module Inductor generated for the register variant, called without Dynamo's frame evaluation, guards and
AOTAutograd's runtime wrappers: where the compiled call's time goes). What torch.compile itself adds around one
op call on this machine: "overhead" rows time a 64 x 64 DA8W8 linear (a few microseconds of work) compiled with
register() against the same xeon op called eagerly, and `x * 2` on the same input compiled against eager
(torch.compile's fixed cost without any xeon code). Compile times are from a cold Inductor cache
(a fresh TORCHINDUCTOR_CACHE_DIR per run).

All variants of a case are compiled first and then timed with `torch.compiler.set_stance("fail_on_recompile")`:
Dynamo reads the freezing flag when it traces, so a silent recompile outside the flags (after a
torch._dynamo.reset(), say) would time a different graph (it did, in this script's first form).
"""
import argparse
import copy
import os
import statistics
import sys
import tempfile
import time

# Compile times from a cold cache: a fresh Inductor cache directory for this run unless one is given.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="bench_compiled_"))

import torch  # noqa: E402
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_description, write_results  # noqa: E402

import xeon_kernels as xk  # noqa: E402
import xeon_kernels.inductor as xi  # noqa: E402


def configs():
    from torchao.prototype.quantization.int4 import (Int8DynamicActivationInt4WeightConfig,
                                                     PrototypeInt4WeightOnlyConfig)
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig
    return {"da8w8": Int8DynamicActivationInt8WeightConfig(), "a16w8": Int8WeightOnlyConfig(),
            "a16w4": PrototypeInt4WeightOnlyConfig(group_size=128),
            "da8w4": Int8DynamicActivationInt4WeightConfig(group_size=128)}


def compile_one(model, x, register, **options):
    """torch.compile of a copy of model with freezing (+ options), compiled now by one call; (callable, seconds)."""
    f, seconds, _ = compile_with_code(model, x, register, **options)
    return f, seconds


def compile_with_code(model, x, register, **options):
    """compile_one, plus the `call` of the Python module Inductor generated for the graph (PyCodeCache's last
    module with one): the generated code alone, without Dynamo's frame evaluation, guards and AOTAutograd's
    runtime wrappers; with freezing its only argument is the input."""
    import torch._inductor.config as inductor_config
    from torch._inductor.codecache import PyCodeCache
    (xi.register if register else xi.unregister)()
    loaded = len(PyCodeCache.modules)
    with inductor_config.patch(freezing=True, **options):
        f = torch.compile(copy.deepcopy(model))
        t0 = time.perf_counter()
        f(x)
        seconds = time.perf_counter() - t0
    xi.unregister()
    generated = [m.call for m in PyCodeCache.modules[loaded:] if hasattr(m, "call")]
    return f, seconds, (generated[-1] if generated else None)


def interleaved_medians(calls, budget_s=2.0, rounds=5):
    """Median seconds per call of each callable, timed in `rounds` interleaved rounds (a drift of the machine
    reaches every variant alike); each round repeats a call for about budget_s / rounds / len(calls)."""
    for f in calls.values():
        f()
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, f in calls.items():
            t0 = time.perf_counter()
            f()
            first = time.perf_counter() - t0
            reps = max(3, min(400, int(budget_s / rounds / len(calls) / max(first, 1e-9))))
            for _ in range(reps):
                t0 = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def time_case(variants, x, extra=None):
    calls = {name: (lambda f=f: f(x)) for name, (f, _) in variants.items()}
    calls.update(extra or {})
    with torch.compiler.set_stance("fail_on_recompile"):
        return interleaved_medians(calls)


def main():
    from torchao.quantization import quantize_
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--m", type=int, nargs="+", default=[1, 1024])
    ap.add_argument("--schemes", nargs="+", default=list(configs()))
    ap.add_argument("--no-max-autotune", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "compiled.json"))
    args = ap.parse_args()
    machine = machine_description()
    print(f"# {machine['cpu']} | {machine['torch_threads']} threads | torch {machine['torch_version']} | "
          f"path {machine['selected_path']}", flush=True)
    rows = []
    torch.manual_seed(0)
    with torch.no_grad():
        for m in args.m:  # what torch.compile adds around one call, on this machine
            torch._dynamo.reset()
            x = torch.randn(m, 64, dtype=torch.bfloat16)
            tiny = nn.Sequential(nn.Linear(64, 64, bias=False)).to(torch.bfloat16).eval()
            quantize_(tiny, configs()["da8w8"])
            tiny_ours = xk.from_torchao(copy.deepcopy(tiny))
            twice = torch.compile(lambda v: v * 2)
            twice(x)
            variants = {"register": compile_one(tiny, x, True)}
            t = time_case(variants, x, {"xeon eager": lambda: tiny_ours(x), "x * 2 compiled": lambda: twice(x),
                                        "x * 2 eager": lambda: x * 2})
            row = dict(scheme="overhead", m=m, n=64, k=64, **{f"{k} ms": v * 1e3 for k, v in t.items()},
                       register_minus_eager_us=(t["register"] - t["xeon eager"]) * 1e6,
                       compiled_minus_eager_us_x2=(t["x * 2 compiled"] - t["x * 2 eager"]) * 1e6)
            rows.append(row)
            print(f"overhead M={m}: " + ", ".join(f"{k} {v * 1e6:.1f} us" for k, v in t.items()), flush=True)
        for scheme in args.schemes:
            model = nn.Sequential(nn.Linear(args.k, args.n, bias=False)).to(torch.bfloat16).eval()
            quantize_(model, configs()[scheme])
            ours = xk.from_torchao(copy.deepcopy(model))
            for m in args.m:
                torch._dynamo.reset()
                x = torch.randn(m, args.k, dtype=torch.bfloat16)
                variants = {"inductor": compile_one(model, x, False)}
                if not args.no_max_autotune:
                    variants["max-autotune"] = compile_one(model, x, False, max_autotune=True)
                f, seconds, code = compile_with_code(model, x, True)
                variants["register"] = (f, seconds)
                extra = {"xeon eager": lambda: ours(x)}
                if code is not None:  # where the compiled call's time goes: the generated code alone
                    extra["register: generated code alone"] = lambda: code([x])
                t = time_case(variants, x, extra)
                best_inductor = min(t["inductor"], t.get("max-autotune", float("inf")))
                row = dict(scheme=scheme, m=m, n=args.n, k=args.k, **{f"{k} ms": v * 1e3 for k, v in t.items()},
                           **{f"compile_s_{k}": s for k, (_, s) in variants.items()},
                           speedup_vs_best_inductor=best_inductor / t["register"],
                           register_vs_eager=t["register"] / t["xeon eager"],
                           register_minus_eager_us=(t["register"] - t["xeon eager"]) * 1e6)
                if code is not None:
                    row["generated_code_vs_eager"] = t["register: generated code alone"] / t["xeon eager"]
                    row["dynamo_and_wrappers_us"] = (t["register"] - t["register: generated code alone"]) * 1e6
                rows.append(row)
                print(f"{scheme} M={m}: " + ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in t.items())
                      + f"; register {row['speedup_vs_best_inductor']:.2f}x the best Inductor, "
                      f"{row['register_vs_eager']:.2f}x eager's time"
                      + (f" (generated code alone {row['generated_code_vs_eager']:.2f}x; Dynamo and the runtime "
                         f"wrappers {row['dynamo_and_wrappers_us']:.0f} us)" if code is not None else "")
                      + "; compile "
                      + ", ".join(f"{k} {s:.1f} s" for k, (_, s) in variants.items()), flush=True)
    write_results(args.out, machine=machine, options={"freezing": True}, rows=rows)


if __name__ == "__main__":
    main()
