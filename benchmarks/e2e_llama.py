"""End-to-end: time to first token and time per output token of a Llama-3.1-8B-shaped model (its real config
numbers, random weights, `--layers` of its 32 so it fits a small machine), greedy, for bf16, each xeon scheme
(xeon_kernels.quantize_), torchao 0.18's equivalents and torchao's flow plus xeon_kernels.inductor.register();
eager and torch.compile'd. Writes a table, JSON and a PNG chart (TTFT and TPOT per configuration, the
bandwidth bound drawn in).

    .venv/bin/python benchmarks/e2e_llama.py [--layers 1] [--prompt 1024] [--new 128] [--batch 1]

Per configuration: TTFT (the prefill call that gives the first token), TPOT (median over the decode steps),
tokens per second, the decode bound (weight bytes read per token / read bandwidth measured in the same run) and
the fraction of it reached, and (eager) the share of each step spent outside the linear layers (attention, norms,
rotary, embedding, sampling), from timing hooks around every linear. Compile time is reported apart: a whole
warm-up generate runs before the timed one (and graphs compiled during the timed run, if any, are counted).
Per layer: (TPOT - TPOT of the same model with 0 layers) / layers, and an estimate for all 32 layers from it.

torch.compile runs use the blog's `freezing=True` (not max-autotune: its compile time on 2 cores does not fit).
lm_head stays bf16 in every configuration (xeon_kernels.quantize_'s default; torchao's quantize_ is given the
same filter), so the bound includes its 1 GiB per token.
"""
import argparse
import gc
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_description, read_bandwidth  # noqa: E402

import xeon_kernels as xk  # noqa: E402

# Llama-3.1-8B (its config.json)
LLAMA_31_8B = dict(hidden_size=4096, intermediate_size=14336, num_attention_heads=32, num_key_value_heads=8,
                   head_dim=128, vocab_size=128256, rope_theta=500000.0, rms_norm_eps=1e-5,
                   max_position_embeddings=131072, tie_word_embeddings=False)
FULL_LAYERS = 32
SCHEMES = ["da8w8", "a16w8", "da8w4", "a16w4"]
GROUP = 128


TINY = dict(hidden_size=256, intermediate_size=512, num_attention_heads=4, num_key_value_heads=2, head_dim=64,
            vocab_size=1024)  # --tiny: the same code on small shapes (a smoke run, not a measurement)


def build(layers, tiny=False, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    config = LlamaConfig(**{**LLAMA_31_8B, **(TINY if tiny else {})}, num_hidden_layers=layers)
    model = LlamaForCausalLM._from_config(config, dtype=torch.bfloat16)
    with torch.no_grad():  # random weights at the scale of a trained model's (std 0.02)
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.02)
    return model.eval()


def torchao_config(scheme):
    from torchao.prototype.quantization.int4 import (Int8DynamicActivationInt4WeightConfig,
                                                     PrototypeInt4WeightOnlyConfig)
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig
    return {"da8w8": Int8DynamicActivationInt8WeightConfig(), "a16w8": Int8WeightOnlyConfig(),
            "a16w4": PrototypeInt4WeightOnlyConfig(group_size=GROUP),
            "da8w4": Int8DynamicActivationInt4WeightConfig(group_size=GROUP)}[scheme]


def not_lm_head(module, name):
    return isinstance(module, nn.Linear) and "lm_head" not in name


def make(model, kind, scheme):
    """The float model, in place, as configuration `kind` ("bf16", "xeon", "torchao") of `scheme`."""
    if kind == "xeon":
        xk.quantize_(model, scheme, group_size=GROUP if scheme in ("da8w4", "a16w4") else None, progress=False)
    elif kind == "torchao":
        from torchao.quantization import quantize_
        quantize_(model, torchao_config(scheme), filter_fn=not_lm_head)
    return model


class StepClock:
    """A logits processor that records when each token's scores arrive: the first after the prefill, then
    one per decode step."""

    def __init__(self):
        self.times = []

    def __call__(self, input_ids, scores):
        self.times.append(time.perf_counter())
        return scores


class LinearTimer:
    """Seconds spent inside the model's linear layers (forward hooks; eager only)."""

    def __init__(self, model):
        self.total, self._t0, self.handles = 0.0, {}, []
        for m in model.modules():
            if isinstance(m, (nn.Linear, xk.QuantizedLinear)):  # fused projections run one QuantizedLinear
                self.handles.append(m.register_forward_pre_hook(self._pre))
                self.handles.append(m.register_forward_hook(self._post))

    def _pre(self, m, args):
        self._t0[id(m)] = time.perf_counter()

    def _post(self, m, args, out):
        self.total += time.perf_counter() - self._t0.pop(id(m))

    def remove(self):
        for h in self.handles:
            h.remove()


def generate_timed(model, ids, new, linear_timer=None):
    from transformers import LogitsProcessorList
    clock = StepClock()
    t0 = time.perf_counter()
    if linear_timer:
        linear_timer.total = 0.0
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False,
                             logits_processor=LogitsProcessorList([clock]))
    end = time.perf_counter()
    ttft = clock.times[0] - t0
    steps = [b - a for a, b in zip(clock.times, clock.times[1:])]
    res = {"ttft_s": ttft, "tpot_s": statistics.median(steps) if steps else float("nan"),
           "total_s": end - t0, "tokens": out[0, ids.shape[1]:].tolist()}
    if linear_timer:
        res["outside_linears_share"] = 1 - linear_timer.total / (end - t0)
    return res


def weight_bytes_per_token(model):
    """Bytes of weights one decode step reads: every linear's stored weight (packed or not), the norms and
    one embedding row (negligible), from the tensors themselves."""
    total = 0
    for name, m in model.named_modules():
        own = list(m.named_parameters(recurse=False)) + list(m.named_buffers(recurse=False))
        if isinstance(m, nn.Embedding):
            total += m.weight.shape[1] * m.weight.element_size()
            continue
        for _, t in own:
            if isinstance(t, torch.Tensor):
                names = list(getattr(t, "tensor_data_names", [])) + list(getattr(t, "optional_tensor_data_names", []))
                inner = [getattr(t, a, None) for a in names] or [t]  # a torchao subclass: the tensors it holds
                total += sum(x.numel() * x.element_size() for x in inner if isinstance(x, torch.Tensor))
    return total


def kv_bytes_per_token(layers, context, batch, tiny=False):
    c = {**LLAMA_31_8B, **(TINY if tiny else {})}
    return layers * 2 * context * c["num_key_value_heads"] * c["head_dim"] * 2 * batch


def run_config(name, model, ids, args, compiled, register=False):
    import torch._inductor.config as inductor_config
    import xeon_kernels.inductor as xi
    torch._dynamo.reset()
    (xi.register if register else xi.unregister)()
    timer = None
    if compiled:
        model.forward = torch.compile(model.forward)
    else:
        timer = LinearTimer(model)
    from torch._dynamo.utils import counters
    with inductor_config.patch(freezing=True):
        t0 = time.perf_counter()
        generate_timed(model, ids, args.new)  # warm-up: compiles prefill and decode (every cache length)
        warm = time.perf_counter() - t0
        graphs = counters["stats"]["unique_graphs"]
        res = generate_timed(model, ids, args.new, timer)
        res["recompiled_in_timed_run"] = counters["stats"]["unique_graphs"] - graphs
    if timer:
        timer.remove()
    xi.unregister()
    res.update(name=name, compiled=compiled, warmup_s=warm)
    return res


def one(spec, args):
    """Runs one configuration in this process (a child of main: each configuration gets fresh memory, as the
    compiled ones keep frozen copies of their weights) and returns its row."""
    name, kind, scheme, compiled, register, layers = spec
    ids = torch.randint(0, (TINY if args.tiny else LLAMA_31_8B)["vocab_size"], (args.batch, args.prompt),
                        generator=torch.Generator().manual_seed(1))
    base = build(layers, args.tiny)
    model = base if kind == "bf16" else make(base, kind, scheme)
    del base
    gc.collect()
    wbytes = weight_bytes_per_token(model)
    res = run_config(name, model, ids, args, compiled, register)
    res.update(kind=kind, scheme=scheme, register=register, weight_bytes=wbytes, layers=layers)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--prompt", type=int, default=1024)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--schemes", nargs="+", default=SCHEMES)
    ap.add_argument("--skip", nargs="*", default=[], help="configuration names to skip")
    ap.add_argument("--tiny", action="store_true", help="small shapes: a smoke run of the script")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: one configuration (JSON spec)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                                  "e2e_llama.json"))
    args = ap.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one(json.loads(args.one), args)), flush=True)
        return
    import subprocess
    from tqdm import tqdm
    machine = machine_description()
    print(f"# {machine['cpu']} | {machine['torch_threads']} threads | torch {machine['torch_version']} | "
          f"path {machine['selected_path']}")
    print(f"# Llama-3.1-8B shapes, {args.layers} of {FULL_LAYERS} layers, random bf16 weights; prompt {args.prompt}, "
          f"{args.new} new tokens, batch {args.batch}, greedy")
    bw = read_bandwidth(passes=5)
    # the same model without decoder layers first: what a step costs besides the layers (embedding, final
    # norm, the bf16 lm_head, sampling), to take the per-layer share out
    plan = [("0 layers eager", "bf16", None, False, False, 0), ("0 layers compiled", "bf16", None, True, False, 0),
            ("bf16 eager", "bf16", None, False, False, args.layers),
            ("bf16 compiled", "bf16", None, True, False, args.layers)]
    for s in args.schemes:
        plan += [(f"xeon {s} eager", "xeon", s, False, False, args.layers),
                 (f"xeon {s} compiled", "xeon", s, True, False, args.layers),
                 (f"torchao {s} eager", "torchao", s, False, False, args.layers),
                 (f"torchao {s} compiled", "torchao", s, True, False, args.layers),
                 (f"torchao {s} compiled + register", "torchao", s, True, True, args.layers)]
    plan = [p for p in plan if p[0] not in args.skip]
    child = [sys.executable, os.path.abspath(__file__), "--prompt", str(args.prompt), "--new", str(args.new),
             "--batch", str(args.batch)] + (["--tiny"] if args.tiny else [])
    rows, zero = [], {}
    for spec in tqdm(plan, desc="configurations"):
        name = spec[0]
        proc = subprocess.run(child + ["--one", json.dumps(spec)], capture_output=True, text=True)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:  # a configuration that does not run here: said, not hidden
            err = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:200]
            if proc.returncode < 0 or proc.returncode == 137:
                err = f"killed (signal {-proc.returncode if proc.returncode < 0 else 9}: out of memory?)"
            rows.append({"name": name, "error": err})
            tqdm.write(f"{name}: does not run: {err}")
            continue
        res = json.loads(line[len("RESULT "):])
        if spec[5] == 0:
            zero["compiled" if spec[3] else "eager"] = res
            tqdm.write(f"{name}: TTFT {res['ttft_s'] * 1e3:.1f} ms, TPOT {res['tpot_s'] * 1e3:.2f} ms")
            continue
        read = res["weight_bytes"] + kv_bytes_per_token(args.layers, args.prompt + args.new // 2, args.batch,
                                                        args.tiny)
        res.update(bound_s=read / bw, frac_of_bound=(read / bw) / res["tpot_s"], tok_s=args.batch / res["tpot_s"])
        z = zero.get("compiled" if spec[3] else "eager")
        if z:
            res["tpot_per_layer_s"] = (res["tpot_s"] - z["tpot_s"]) / args.layers
            res["ttft_per_layer_s"] = (res["ttft_s"] - z["ttft_s"]) / args.layers
            res["tpot_32_layers_est_s"] = z["tpot_s"] + FULL_LAYERS * res["tpot_per_layer_s"]
            res["ttft_32_layers_est_s"] = z["ttft_s"] + FULL_LAYERS * res["ttft_per_layer_s"]
        rows.append(res)
        tqdm.write(fmt(res))
    out = {"machine": machine, "args": vars(args), "read_bytes_per_s": bw,
           "zero_layers": {k: {kk: v[kk] for kk in ("ttft_s", "tpot_s")} for k, v in zero.items()}, "rows": rows}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(table(rows))
    chart(out, args.out.rsplit(".", 1)[0] + ".png")
    print("wrote", args.out)


def fmt(r):
    share = f", {r['outside_linears_share'] * 100:4.1f}% outside linears" if "outside_linears_share" in r else ""
    per = (f"; per layer: TTFT {r['ttft_per_layer_s'] * 1e3:7.1f} ms, TPOT {r['tpot_per_layer_s'] * 1e3:6.2f} ms"
           if "tpot_per_layer_s" in r else "")
    return (f"{r['name']:36} TTFT {r['ttft_s'] * 1e3:9.1f} ms  TPOT {r['tpot_s'] * 1e3:8.2f} ms "
            f"({r['frac_of_bound'] * 100:5.1f}% of the bound {r['bound_s'] * 1e3:6.2f} ms){share}{per}; "
            f"warm-up {r['warmup_s']:.0f} s, {r['recompiled_in_timed_run']} graphs compiled in the timed run")


def table(rows):
    lines = ["| configuration | TTFT ms | TPOT ms | tok/s | bound ms | of bound | per layer TTFT / TPOT ms | "
             "32 layers est. TTFT s / TPOT ms | outside linears |", "|" + " --- |" * 9]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['name']} | does not run: {r['error']} |" + " |" * 7)
            continue
        share = f"{r['outside_linears_share'] * 100:.0f}%" if "outside_linears_share" in r else "-"
        if "tpot_per_layer_s" not in r:
            r = {**r, "tpot_per_layer_s": float("nan"), "ttft_per_layer_s": float("nan"),
                 "tpot_32_layers_est_s": float("nan"), "ttft_32_layers_est_s": float("nan")}
        lines.append(f"| {r['name']} | {r['ttft_s'] * 1e3:.0f} | {r['tpot_s'] * 1e3:.1f} | {r['tok_s']:.1f} | "
                     f"{r['bound_s'] * 1e3:.1f} | {r['frac_of_bound'] * 100:.0f}% | "
                     f"{r['ttft_per_layer_s'] * 1e3:.0f} / {r['tpot_per_layer_s'] * 1e3:.2f} | "
                     f"{r['ttft_32_layers_est_s']:.1f} / {r['tpot_32_layers_est_s'] * 1e3:.0f} | {share} |")
    return "\n".join(lines)


def chart(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [r for r in out["rows"] if "error" not in r]
    names = [r["name"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 0.35 * len(rows) + 2), sharey=True)
    y = range(len(rows))
    a.barh(y, [r["ttft_s"] * 1e3 for r in rows], color="tab:blue")
    a.set_xlabel("time to first token, ms")
    a.set_yticks(list(y), names)
    a.invert_yaxis()
    b.barh(y, [r["tpot_s"] * 1e3 for r in rows], color="tab:orange", label="TPOT")
    b.scatter([r["bound_s"] * 1e3 for r in rows], list(y), color="black", marker="|", s=200,
              label="bandwidth bound")
    b.set_xlabel("time per output token, ms")
    b.legend(loc="lower right")
    m, a_ = out["machine"], out["args"]
    fig.suptitle(f"Llama-3.1-8B shapes, {a_['layers']} layer(s), prompt {a_['prompt']}, {a_['new']} new tokens, "
                 f"batch {a_['batch']} | {m['cpu']}, {m['torch_threads']} threads, path {m['selected_path']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("wrote", path)


if __name__ == "__main__":
    main()
