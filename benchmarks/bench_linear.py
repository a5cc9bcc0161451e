"""Kernel microbenchmark: xeon_kernels DA8W8 / A16W8 / DA8W4 / A16W4 at the Llama-3.1-8B projection shapes.

Per case: median time, GOPS, weight GB/s, fractions of this machine's ceilings measured in the same run
(the selected path's int8 dot-product peak; streaming read bandwidth) and the ratio against what a user
has today, measured in the same run, in interleaved rounds with ours (ROUNDS). Table on stdout, JSON in
benchmarks/results/.

    python benchmarks/bench_linear.py                      # all shapes, M in 1 4 16 128 1024
    python benchmarks/bench_linear.py --m 1 16 --schemes da8w4 --group 32 --shapes 4096x4096
"""
import argparse
import dataclasses
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xeon_kernels as xk  # noqa: E402
from common import (READ_STREAMS, int8_peak, l3_bytes, machine_description, median_time,  # noqa: E402
                    read_bandwidth, rotating)

LLAMA_SHAPES = [(4096, 6144), (4096, 4096), (4096, 28672), (14336, 4096)]  # (K, N)
SMALL_M = 16  # up to here the weight read dominates: report the bandwidth fraction, time with cold weights
COLD_FACTOR = 8  # decode cases rotate through weight copies totalling this many times the last-level cache
MAX_COPIES = 512  # bounds the number of copies (their memory is bounded by COLD_FACTOR x L3 anyway)


def int_mm_da8w8(x, w_codes_t, w_scale):
    """What torch offers without torchao: per-token quantization in torch ops, _int_mm, then the scales."""
    xf = x.float()
    s = xf.abs().amax(dim=-1, keepdim=True).clamp(min=1e-12) / 127.5
    q = torch.clamp(torch.round(xf / s), -128, 127).to(torch.int8)
    return (torch._int_mm(q, w_codes_t).float() * s * w_scale).to(x.dtype)


def torchao_linear(scheme, w, group):
    """torchao 0.18's eager linear for the scheme (da8w4: none, it has no CPU kernel of its own)."""
    try:
        from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_
    except ImportError:
        return None
    configs = {"da8w8": Int8DynamicActivationInt8WeightConfig, "a16w8": Int8WeightOnlyConfig,
               "a16w4": lambda: PrototypeInt4WeightOnlyConfig(group_size=group)}
    if scheme not in configs:
        return None
    lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False).to(w.dtype)
    with torch.no_grad():
        lin.weight.copy_(w)
    quantize_(lin, configs[scheme]())
    return lin


def aten_int4pack(w, group):
    """aten._weight_int4pack_mm_for_cpu on torchao's A16W4 packing of w: PyTorch's own int4 kernel."""
    lin = torchao_linear("a16w4", w, group)
    if lin is None:
        return None
    qw = lin.weight
    return lambda x: torch.ops.aten._weight_int4pack_mm_for_cpu(x, qw.qdata, group, qw.scale_and_zero)


def weight_bytes(p):
    """Bytes the kernel must read: packed codes plus per-channel / per-group parameters."""
    return sum(t.numel() * t.element_size() for t in (p.packed, p.scale, p.compensation, p.zero) if t is not None)


def clone_packed(p):
    return dataclasses.replace(p, **{f: getattr(p, f).clone() for f in ("packed", "scale", "compensation", "zero")
                                     if getattr(p, f) is not None})


def weight_copies(M, wbytes):
    """Decode-sized M reads each weight once per call: time it cold, rotating through weight copies that
    together exceed COLD_FACTOR times the last-level cache (as in a model, whose weights are far larger than
    L3). Twice the L3 was not enough: with a replacement policy other than LRU part of the rotation stays
    cached, and decode "beat" the read ceiling (2026-11-29, Zen 5)."""
    if M > SMALL_M:
        return 1
    return max(1, min(MAX_COPIES, -(-COLD_FACTOR * l3_bytes() // wbytes)))


# Ours and the baselines are timed in interleaved rounds (ours, each baseline, again ...), each the median of
# its calls in that round, and reported as the median over the rounds: on these shared machines the rate moves
# by a third within minutes, and a baseline timed minutes after ours made ratios of 0.8x-1.1x from run to run.
ROUNDS = 3


def interleaved(calls, budget_s=0.6, probe=None, rounds=ROUNDS):
    """Medians over the rounds of each call's per-round median, the per-round medians, and probe()'s value at
    the start of each round (the read ceiling of that moment, for decode sizes)."""
    per_round = {name: [] for name in calls}
    probes = []
    for _ in range(rounds):
        if probe is not None:
            probes.append(probe())
        for name, f in calls.items():
            per_round[name].append(median_time(f, budget_s=budget_s / rounds))
    return {name: statistics.median(v) for name, v in per_round.items()}, per_round, probes


def bench_case(scheme, K, N, M, group, ceilings, baselines_on, rounds=ROUNDS):
    g = torch.Generator().manual_seed(0)
    w = (torch.randn(N, K, generator=g) * 0.02).to(torch.bfloat16)
    x = torch.randn(M, K, generator=g).to(torch.bfloat16)
    p = xk.pack_weight(w, scheme, group if scheme in ("da8w4", "a16w4") else None)
    wbytes = weight_bytes(p)
    n = weight_copies(M, wbytes)

    calls = {"ours": rotating(lambda i: (lambda q=clone_packed(p): xk.linear(x, q)), n)}
    if baselines_on:
        calls["bf16_linear"] = rotating(lambda i: (lambda wc=w.clone(): F.linear(x, wc)), n)
        if scheme == "da8w8":
            codes, scale = p.int_codes(), p.scales()
            # the [K, N] operand as a column-major view, as torchao passes it
            calls["int_mm"] = rotating(lambda i: (lambda ct=codes.clone().t(): int_mm_da8w8(x, ct, scale)), n)
        if scheme == "a16w8":
            codes, scale = p.int_codes(), p.scales().bfloat16()
            calls["weight_int8pack_mm"] = rotating(
                lambda i: (lambda c=codes.clone(): torch._weight_int8pack_mm(x, c, scale)), n)
        if scheme in ("da8w4", "a16w4") and aten_int4pack(w, group) is not None:
            calls["aten_int4pack_mm"] = rotating(lambda i: (lambda f=aten_int4pack(w, group): f(x)), n)
        if torchao_linear(scheme, w, group) is not None and scheme != "a16w4":  # a16w4: torchao = aten_int4pack
            def make_torchao(i):
                lin = torchao_linear(scheme, w, group)
                return lambda: lin(x)
            calls["torchao_eager"] = rotating(make_torchao, n)
    # Decode sizes: the read ceiling measured at the start of every round (the host's other tenants move it by
    # a third within minutes, and by up to 2x between runs), each round's weight rate taken against its own
    # round's ceiling, the fraction the median of those; one above 100% means a wrong measurement, flagged.
    probe = (lambda: read_bandwidth(passes=len(READ_STREAMS))) if M <= SMALL_M else None
    with torch.no_grad():
        t, per_round, probes = interleaved(calls, budget_s=0.2 * rounds, probe=probe, rounds=rounds)
    ours = t.pop("ours")
    base = t
    ops = 2.0 * M * N * K
    row = {"scheme": scheme, "K": K, "N": N, "M": M, "group": p.group_size, "path": xk.info()["selected_path"],
           "weight_copies": n, "ms": ours * 1e3, "gops": ops / ours / 1e9, "weight_gbs": wbytes / ours / 1e9,
           "rounds": rounds}
    if scheme in ("da8w8", "da8w4") and ceilings["int8_ops_per_s"]:
        row["frac_int8_peak"] = ops / ours / ceilings["int8_ops_per_s"]
    if M <= SMALL_M:
        row["read_ceiling_gbs"] = statistics.median(probes) / 1e9
        row["read_ceiling_gbs_per_round"] = [b / 1e9 for b in probes]
        row["frac_read_bw"] = statistics.median(wbytes / s / b for s, b in zip(per_round["ours"], probes))
    row["suspect"] = row.get("frac_read_bw", 0) > 1 or row.get("frac_int8_peak", 0) > 1
    row["baseline_ms"] = {k: v * 1e3 for k, v in base.items()}
    row["speedup"] = {k: v / ours for k, v in base.items()}
    return row


def call_overhead():
    """Median time of a tiny da8w8 call (M=1, K=64, N=16): an upper bound of the eager call overhead."""
    p = xk.pack_weight(torch.randn(16, 64), "da8w8")
    x = torch.randn(1, 64)
    return median_time(lambda: xk.linear(x, p), min_reps=200, max_reps=2000, budget_s=0.5)


def fmt_row(r):
    sp = " ".join(f"{k}={v:.2f}x" for k, v in r["speedup"].items())
    peak = f"{r['frac_int8_peak'] * 100:5.1f}%" if "frac_int8_peak" in r else "    -"
    bw = f"{r['frac_read_bw'] * 100:5.1f}%" if "frac_read_bw" in r else "    -"
    flag = "  ! above 100%: a wrong measurement" if r["suspect"] else ""
    return (f"{r['scheme']:6} {r['K']:>5}x{r['N']:<5} M={r['M']:<5} {r['ms']:10.3f} ms {r['gops']:8.1f} GOPS "
            f"{r['weight_gbs']:7.2f} GB/s  peak {peak}  bw {bw}  {sp}{flag}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--m", type=int, nargs="+", default=[1, 4, 16, 128, 1024])
    ap.add_argument("--shapes", nargs="+", default=[f"{k}x{n}" for k, n in LLAMA_SHAPES], help="KxN")
    ap.add_argument("--schemes", nargs="+", default=["da8w8", "a16w8", "da8w4", "a16w4"])
    ap.add_argument("--group", type=int, default=128, help="group size of the int4 schemes")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds per case (more: steadier "
                    "decode fractions on a noisy host)")
    ap.add_argument("--out", default=None, help="JSON path (default benchmarks/results/local/<host>-<time>.json)")
    args = ap.parse_args()

    machine = machine_description()
    path = machine["selected_path"]
    print(f"# {machine['cpu']} | {machine['torch_threads']} threads | torch {machine['torch_version']} | "
          f"path {path}")
    ceilings = {"read_bytes_per_s": read_bandwidth(), "int8_ops_per_s": int8_peak(path)}
    peak = ceilings["int8_ops_per_s"]
    print(f"# ceilings: read {ceilings['read_bytes_per_s'] / 1e9:.1f} GB/s, int8 peak "
          + (f"{peak / 1e12:.2f} TOPS" if peak else f"n/a (path {path} has no hardware int8 instruction)"))
    print(f"# M <= {SMALL_M}: cold weights (each call reads a different copy; copies total >= {COLD_FACTOR} x L3 = "
          f"{COLD_FACTOR * l3_bytes() >> 20} MiB); read ceiling re-measured at the start of each round, "
          "fraction = median of the rounds' ratios")
    overhead = call_overhead()
    print(f"# eager call overhead (tiny da8w8 call, median): {overhead * 1e6:.1f} us")
    # ad-hoc runs land in results/local/ (git-ignored); results worth keeping are written with --out
    # into results/ and summarised in RESULTS.md
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "local",
                                   f"{machine['host']}-{time.strftime('%Y%m%d-%H%M%S')}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    rows = []
    for scheme in args.schemes:
        for shape in args.shapes:
            K, N = (int(v) for v in shape.split("x"))
            for M in args.m:
                r = bench_case(scheme, K, N, M, args.group, ceilings, not args.no_baselines, args.rounds)
                print(fmt_row(r), flush=True)
                rows.append(r)
                # rewritten after every case, so a run cut short (a time limit) keeps what it measured
                with open(out, "w") as f:
                    json.dump({"machine": machine, "ceilings": ceilings, "call_overhead_s": overhead, "rows": rows},
                              f, indent=1)
    suspect = [r for r in rows if r["suspect"]]
    if suspect:
        print(f"# WARNING: {len(suspect)} case(s) above 100% of a ceiling: a wrong measurement (a ceiling measured "
              "in a slower moment, or weights served from cache); rerun before quoting them")
    print(f"# wrote {out}")


if __name__ == "__main__":
    main()
