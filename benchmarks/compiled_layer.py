"""One Llama-3.1-8B decoder layer (random weights, transformers' LlamaDecoderLayer) per scheme, at decode and
prefill sizes: torchao's quantized layer compiled by Inductor alone and with xeon_kernels.inductor.register(),
against the same codes on xeon's eager modules (xk.from_torchao) and those modules compiled. Where
bench_compiled.py times one linear, this times what a compiled model pays per layer: seven linears (torchao
leaves q/k/v and gate/up apart; so does xk.from_torchao(fuse=False) here), attention, norms, rotary, in one graph.

    .venv/bin/python benchmarks/compiled_layer.py [--m 1 128] [--schemes da8w8 a16w8 a16w4 da8w4]
        [--profile [register] [inductor]]

Every compiled variant is compiled (freezing, the blog's flag) before any is timed, and timed in interleaved
rounds under `set_stance("fail_on_recompile")`. At M = 1 a layer's weights (109-218 MB quantized) are far
larger than the last-level cache, so every call reads them from memory. Every variant is a copy of one quantized
layer that shares its weight tensors (`sharing_weights`): on this VM two copies of the same weights read at rates
up to 13% apart (RESULTS.md, "Compiled graphs without the Python autograd kernel"), which would otherwise
decide the comparison at M = 1.
"""
import argparse
import copy
import gc
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_compiled import interleaved_medians  # noqa: E402
from common import machine_description, write_results  # noqa: E402
from e2e_llama import build, torchao_config  # noqa: E402

import xeon_kernels as xk  # noqa: E402
import xeon_kernels.inductor as xi  # noqa: E402


def sharing_weights(module):
    """A deep copy of module whose parameters and buffers are module's own tensors (the same memory)."""
    return copy.deepcopy(module, memo={id(t): t for t in [*module.parameters(), *module.buffers()]})


def compiled(layer, args, register):
    import torch._inductor.config as inductor_config
    from torch._inductor.compile_fx import compile_fx
    (xi.register if register else xi.unregister)()
    with inductor_config.patch(freezing=True):
        # Inductor through a backend object of its own: copies that share their weights would otherwise pass
        # each other's guards and run the first variant's graph (Dynamo checks the backend of a cache entry).
        f = torch.compile(layer, backend=lambda gm, inputs: compile_fx(gm, inputs))
        f(*args[0], **args[1])
    xi.unregister()
    return f


def kernel_shares(f, call, calls=10):
    """Where a compiled layer's time goes, from torch.profiler over `calls` calls: each xeon op, each Inductor
    kernel (Inductor's kernel profiling on) and each other aten op, in ms per call (the calling thread's time:
    the parallel regions' wall time). Each name's time is the sum over its places in a call (q, k, v: three) of
    each place's median over the calls, so that one stalled event on a noisy host does not stand for ten calls.
    What epilogue fusion could save is bounded by the Inductor kernels that read the xeon ops' outputs
    (silu-times-up after gate/up, the residual add and RMSNorm after o / down)."""
    import statistics
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            f(*call[0], **call[1])
    kinds = (("xeon::", "xeon op"), ("graph_", "inductor kernel"), ("cpp_fused", "inductor kernel"),
             ("aten::", "other op"), ("torchao::", "other op"))
    times = {}
    for e in sorted(prof.events(), key=lambda e: e.time_range.start):
        kind = next((k for prefix, k in kinds if e.name.startswith(prefix)), None)
        if kind is not None:
            times.setdefault(f"{kind}: {e.name}", []).append(e.self_cpu_time_total / 1e3)
    shares = {}
    for k, v in times.items():
        # a name called several times a call (q / k / v ...) in the same order every call: the median of each
        # place over the calls, summed over the places
        per_call = len(v) // calls
        if per_call * calls != len(v):
            per_call, v = 1, [sum(v) / calls]
        shares[k] = sum(statistics.median(v[j::per_call]) for j in range(per_call))
    return dict(sorted(shares.items(), key=lambda kv: -kv[1]))


def profile_register(model, schemes, ms, variants=("register",)):
    """--profile: for each scheme, M and variant ("register": with register(); "inductor": Inductor alone), the
    layer compiled with Inductor's kernel profiling and its time per kernel (kernel_shares); returns JSON rows."""
    import torch._inductor.config as inductor_config
    from torchao.quantization import quantize_
    rotary = model.model.rotary_emb
    rows = []
    for scheme in schemes:
        base = copy.deepcopy(model.model.layers[0])
        quantize_(base, torchao_config(scheme))
        for m in ms:
            h = torch.randn(1, m, 4096, dtype=torch.bfloat16)
            call = ((h,), {"position_embeddings": rotary(h, torch.arange(m)[None]), "attention_mask": None})
            for variant in variants:
                torch._dynamo.reset()
                with inductor_config.patch({"cpp.enable_kernel_profile": True}):
                    f = compiled(base, call, variant == "register")
                for _ in range(3):
                    f(*call[0], **call[1])
                shares = kernel_shares(f, call)
                total = sum(shares.values())
                print(f"{scheme} M={m} {variant}: {total:.2f} ms per layer (profiled, self time)")
                for k, v in shares.items():
                    if v >= 0.005 * total:
                        print(f"  {v:8.3f} ms {100 * v / total:5.1f}%  {k[:110]}")
                rows.append(dict(scheme=scheme, m=m, variant=variant, total_ms=total, ms_per_call=shares))
    return rows


def main():
    from torchao.quantization import quantize_
    ap = argparse.ArgumentParser()
    ap.add_argument("--m", type=int, nargs="+", default=[1, 128])
    ap.add_argument("--schemes", nargs="+", default=["da8w8", "a16w8", "a16w4", "da8w4"])
    ap.add_argument("--profile", nargs="*", choices=["register", "inductor"], default=None,
                    help="instead of the timings: time per kernel under torch.profiler of the named compiled "
                    "variants (default register: what epilogue fusion could save)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "compiled_layer.json"))
    args = ap.parse_args()
    machine = machine_description()
    print(f"# {machine['cpu']} | {machine['torch_threads']} threads | torch {machine['torch_version']} | "
          f"path {machine['selected_path']}", flush=True)
    model = build(1)
    if args.profile is not None:
        with torch.no_grad():
            rows = profile_register(model, args.schemes, args.m, args.profile or ("register",))
        write_results(args.out, machine=machine, options={"freezing": True, "profile": True}, rows=rows)
        return
    rotary = model.model.rotary_emb
    rows = []
    with torch.no_grad():
        for scheme in args.schemes:
            base = copy.deepcopy(model.model.layers[0])
            quantize_(base, torchao_config(scheme))
            ours = xk.from_torchao(sharing_weights(base), fuse=False)  # apart, as in torchao's graphs
            for m in args.m:
                torch._dynamo.reset()
                h = torch.randn(1, m, 4096, dtype=torch.bfloat16)
                pos = rotary(h, torch.arange(m)[None])
                call = ((h,), {"position_embeddings": pos, "attention_mask": None})
                variants = {"inductor": compiled(sharing_weights(base), call, False),
                            "inductor+register": compiled(sharing_weights(base), call, True),
                            "xeon compiled": compiled(ours, call, False)}
                calls = {k: (lambda f=f: f(*call[0], **call[1])) for k, f in variants.items()}
                calls["xeon eager"] = lambda: ours(*call[0], **call[1])
                with torch.compiler.set_stance("fail_on_recompile"):
                    t = interleaved_medians(calls, budget_s=4.0)
                row = dict(scheme=scheme, m=m, **{f"{k} ms": v * 1e3 for k, v in t.items()},
                           register_vs_eager=t["inductor+register"] / t["xeon eager"],
                           register_vs_inductor=t["inductor"] / t["inductor+register"])
                rows.append(row)
                print(f"{scheme} M={m}: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in t.items())
                      + f"; register / eager time {row['register_vs_eager']:.2f}, register vs Inductor alone "
                      f"{row['register_vs_inductor']:.2f}x", flush=True)
                del variants, calls
                gc.collect()
            del base, ours
            gc.collect()
    write_results(args.out, machine=machine, options={"freezing": True}, rows=rows)


if __name__ == "__main__":
    main()
