"""A cost model of the kernels: instruction counts from the emulated backends, published or measured issue rates,
and the overlap the code allows, turned into predicted time; checked against the avx512 paths on the machine at
hand, then used to predict the amx path's fraction of the AMX peak.

    .venv/bin/python benchmarks/cost_model.py [--check] [--predict-amx] [--out results/cost_model.json]

Counting: `xeon::emulated_op_counts` counts what each emulated SIMD / tile operation issues on hardware (the
AVX-512 backend's instructions, one AMX instruction per tile operation; csrc/kernels/op_counts.h) while a call runs
on an emulated path. A call at the full shape would take minutes emulated, so counts come from a smaller N and K
(and M above 128) and are scaled by the ratio of the work: the kernels' inner loops are linear in N and K; in M they
are linear plus a part that does not grow (weights converted once per thread and panel), so above 128 rows the
counts at 64 and 128 rows are extrapolated along their line. Not counted (scalar C++): the driver's epilogue,
modelled as EPILOGUE_PER_16_OUTPUTS below, and the activation quantization of the dynamic schemes (one pass over x,
small beside the weights' work).

Time per core, in cycles, from counts c and issue rates r (instructions per cycle) of each unit:
  vector = c_dot / r_dot + c_fp / r_fp + c_int / r_int   (one pool of vector ports; see each machine's note)
  overlapped kernels: max(vector, c_load / r_load, c_store / r_store, tiles), tiles = max(c_tile_dot * 16,
  c_tile_load * t_load) + stores, zeros and configurations
  DA8W4 on AMX before its software pipelining (the vector scaling of a group waited for the group's tiles):
  tiles + vector, not the max (reported beside the pipelined kernel's prediction); at M > 16 its two 16-row
  halves alternate, so tile stores overlap the other half's TDPBUSDs: tiles = max(dots, loads, stores) there
then divided evenly among the threads (imbalance not modelled), converted to seconds at
the frequency the int8 probe implies, and bounded below by the weight bytes over the read bandwidth.
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import int8_peak, machine_description, median_time, read_bandwidth, rotating  # noqa: E402

import xeon_kernels as xk  # noqa: E402

KINDS = ["vec_load", "vec_store", "vec_dot", "vec_fp", "vec_int", "tile_load", "tile_store", "tile_dot",
         "tile_zero", "tile_config"]
# The epilogue (csrc/kernels/epilogue.h, scalar C++ the compiler vectorizes): per 16 outputs about one load
# of the sums, compensation / zero-point correction, two scale multiplies, a bias add and the rounding to the
# output dtype (fp and integer work), one store. An estimate from the code, not a count.
EPILOGUE_PER_16_OUTPUTS = {"vec_load": 2, "vec_store": 1, "vec_fp": 4, "vec_int": 2}

# Issue rates per core, instructions per cycle, and where they come from.
MACHINES = {
    "zen4": {
        "what": "AMD Zen 4: 512-bit instructions on 256-bit units. vpdpbusd / vdpbf16ps zmm 1 a cycle (measured: "
                "0.47 TOPS per core from the int8 probe = 128 ops x 1 a cycle at ~3.7 GHz); fp32 FMA / convert "
                "zmm 1 a cycle (two 256-bit FMA pipes); integer / shuffle zmm 2 a cycle (four 256-bit ALUs); "
                "zmm loads 1 a cycle (two 256-bit load ports), stores 0.5",
        "vec_dot": 1.0, "vec_fp": 1.0, "vec_int": 2.0, "vec_load": 1.0, "vec_store": 0.5,
        "dot_ops_per_cycle": 128,  # int8 ops of one vpdpbusd zmm a cycle: converts the probe to a frequency
    },
    "spr": {
        "what": "Intel Sapphire Rapids (the AMX machine): TDPBUSD 16 cycles (2048 int8 ops a cycle: 4.6 TOPS at "
                "~2.25 GHz measured on one thread, ../shared/hardware.md); TILELOADD 8 cycles per 1 KiB tile "
                "(assumed, from L1 / L2; to check on the machine); TILESTORED 16; 512-bit vector ops 2 a cycle "
                "(ports 0 and 5: FMA, VNNI, integer), loads 2, stores 1; 16 threads at ~2.25 GHz; read 86 GB/s",
        "vec_dot": 2.0, "vec_fp": 2.0, "vec_int": 2.0, "vec_load": 2.0, "vec_store": 1.0,
        "tile_dot_cycles": 16, "tile_load_cycles": 8, "tile_store_cycles": 16, "tile_zero_cycles": 1,
        "tile_config_cycles": 50, "threads": 16, "ghz": 2.25, "read_gbs": 86.0, "amx_peak_ops_per_cycle": 2048,
    },
}


def _counted_call(path, scheme, rows, nc, kc, group, dtype):
    """The emulated instruction counts of one call at (rows, nc, kc), and of its activation quantization alone."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(nc, kc, generator=g) * 0.05
    x = torch.randn(rows, kc, generator=g).to(dtype)
    p = xk.pack_weight(w, scheme, group)
    with xk.use_path(path):
        xk.linear(x, p)  # warm-up (allocation, configuration)
        torch.ops.xeon.emulated_op_counts(True)
        xk.linear(x, p)
        c = torch.ops.xeon.emulated_op_counts(False).tolist()
        quant = [0] * len(KINDS)
        if scheme in ("da8w8", "da8w4"):  # the op's activation quantization grows with M x K only
            torch.ops.xeon.emulated_op_counts(True)
            xk.quantize_per_token(x, True)
            quant = torch.ops.xeon.emulated_op_counts(False).tolist()
    return c, quant


def counts_for(path, scheme, m, n, k, group, dtype, count_k=None):
    """Instruction counts of one call on an emulated path, scaled from a smaller shape to (m, n, k), and the
    call's (tasks, threads). count_k: the K counted at (default 512, or two tile K-chunks)."""
    mc, nc, kc = min(m, 128), min(n, 256), min(k, count_k or 512)
    if group:
        kc = max(kc, group)
    # The tile tasks run K in chunks (xk.set_tile_k_chunk), each pass storing and reloading the accumulator tiles:
    # counted at the real chunk over at least two of them, those round trips then scale with K as the rest does.
    chunk = xk.tuning.get_tile_k_chunk()
    if chunk and not count_k:
        kc = min(k, max(kc, 2 * chunk))
    c, quant = _counted_call(path, scheme, mc, nc, kc, group, dtype)
    kernel = [v - q for v, q in zip(c, quant)]
    if m > mc:
        # Past mc rows the kernel's counts grow by the per-row part only: the weights a thread converts once per
        # panel (int4 unpacked to int8, or to bf16, for every M-chunk of the panel that thread takes) do not
        # grow with M. Counted at mc / 2 rows too and extrapolated along the line through the two (scaling the
        # counts at mc by m / mc charged those conversions m / mc times).
        lo = mc // 2
        c_lo, q_lo = _counted_call(path, scheme, lo, nc, kc, group, dtype)
        kernel = [v + (v - (vl - ql)) * (m - mc) / (mc - lo) for v, vl, ql in zip(kernel, c_lo, q_lo)]
    scale_nk = (n / nc) * (k / kc)
    counts = {kind: v * scale_nk + q * (m / mc) * (k / kc) for kind, v, q in zip(KINDS, kernel, quant)}
    for kind, v in EPILOGUE_PER_16_OUTPUTS.items():
        counts[kind] += v * m * n / 16
    return counts


def cycles(counts, rates, serial_tiles=False, overlapped_stores=False):
    vector = sum(counts[k] / rates[k] for k in ("vec_dot", "vec_fp", "vec_int"))
    memory_ops = max(counts["vec_load"] / rates["vec_load"], counts["vec_store"] / rates["vec_store"])
    tiles = 0.0
    if "tile_dot_cycles" in rates:
        dots, loads = counts["tile_dot"] * rates["tile_dot_cycles"], counts["tile_load"] * rates["tile_load_cycles"]
        stores = counts["tile_store"] * rates["tile_store_cycles"]
        rest = counts["tile_zero"] * rates["tile_zero_cycles"] + counts["tile_config"] * rates["tile_config_cycles"]
        # stores in series with the TDPBUSDs (a tile's next TDPBUSD waits for its store), or beside them where
        # the kernel alternates two sets of accumulator tiles (DA8W4's 16-row halves at M > 16)
        tiles = (max(dots, loads, stores) if overlapped_stores else max(dots, loads) + stores) + rest
    parts = {"vector": vector, "loads/stores": memory_ops, "tiles": tiles}
    total = tiles + max(vector, memory_ops) if serial_tiles else max(parts.values())
    bound = max(parts, key=parts.get)
    return total, bound


def weight_bytes(scheme, n, k, group):
    return n * k * (1 if scheme in ("da8w8", "a16w8") else 0.5) + (n * 4 if not group else n * (k // group) * 12)


CASES = [("da8w8", None, torch.bfloat16), ("a16w8", None, torch.bfloat16), ("da8w4", 128, torch.bfloat16),
         ("a16w4", 128, torch.bfloat16)]


def check(args):
    """Predicted vs measured on this machine's avx512_bf16 path (emulated twin: avx512_bf16_emulated)."""
    rates = MACHINES[args.machine]
    threads = torch.get_num_threads()
    peak = int8_peak("avx512_bf16")
    ghz = peak / (threads * rates["dot_ops_per_cycle"]) / 1e9
    bw = read_bandwidth(passes=5)
    rows = []
    n, k = args.n, args.k
    for scheme, group, dtype in CASES:
        p = xk.pack_weight(torch.randn(n, k) * 0.05, scheme, group)
        for m in args.m:
            c = counts_for("avx512_bf16_emulated", scheme, m, n, k, group, dtype)
            cyc, bound = cycles(c, rates)
            compute_s = cyc / threads / (ghz * 1e9)
            mem_s = weight_bytes(scheme, n, k, group) / bw
            predicted = max(compute_s, mem_s)
            x = torch.randn(m, k).to(dtype)
            copies = 1 if m > 16 else max(1, math.ceil(8 * 32 * 2**20 / weight_bytes(scheme, n, k, group)))
            packs = [p] + [xk.pack_weight(torch.randn(n, k) * 0.05, scheme, group) for _ in range(copies - 1)]
            with xk.use_path("avx512_bf16"):
                measured = median_time(rotating(lambda i: (lambda q=packs[i]: xk.linear(x, q)), copies))
            row = dict(scheme=scheme, group=group, m=m, n=n, k=k, predicted_ms=predicted * 1e3,
                       measured_ms=measured * 1e3, ratio=measured / predicted,
                       bound="memory" if mem_s > compute_s else bound, counts=c)
            rows.append(row)
            print(f"{scheme:6} M={m:<5} predicted {predicted * 1e3:8.3f} ms ({row['bound']}), measured "
                  f"{measured * 1e3:8.3f} ms, measured / predicted {row['ratio']:.2f}", flush=True)
    return {"machine": machine_description(), "rates": rates, "ghz_from_probe": ghz, "read_gbs": bw / 1e9,
            "rows": rows}


def predict_amx(args):
    rates = MACHINES["spr"]
    rows = []
    n, k = args.n, args.k
    for scheme, group, dtype in CASES + [("da8w4", 32, torch.bfloat16)]:
        for m in args.m:
            c = counts_for("amx_emulated", scheme, m, n, k, group, dtype, args.count_k)
            to_s = 1 / (rates["threads"] * rates["ghz"] * 1e9)
            mem_s = weight_bytes(scheme, n, k, group) / (rates["read_gbs"] * 1e9)
            peak_s = 2 * m * n * k / (rates["amx_peak_ops_per_cycle"] * rates["threads"] * rates["ghz"] * 1e9)
            halves = scheme == "da8w4" and m > 16  # amx_da8w4_block alternates its two 16-row halves
            cyc, bound = cycles(c, rates, overlapped_stores=halves)
            t = max(cyc * to_s, mem_s)
            row = dict(scheme=scheme, group=group, m=m, n=n, k=k, predicted_ms=t * 1e3, frac_amx_peak=peak_s / t,
                       bound="memory" if mem_s > cyc * to_s else bound, counts=c)
            extra = ""
            if scheme == "da8w4":
                serial = max(cycles(c, rates, serial_tiles=True)[0] * to_s, mem_s)
                one_set = max(cycles(c, rates)[0] * to_s, mem_s)
                row["frac_amx_peak_serial"], row["frac_amx_peak_one_set"] = peak_s / serial, peak_s / one_set
                extra = (f" (serial form: {peak_s / serial * 100:5.1f}%, pipelined with one accumulator set: "
                         f"{peak_s / one_set * 100:5.1f}%)")
            rows.append(row)
            print(f"AMX {scheme:6} g={group} M={m:<5} predicted {t * 1e3:8.3f} ms, {row['frac_amx_peak'] * 100:5.1f}% "
                  f"of the AMX int8 peak, bound: {row['bound']}{extra}", flush=True)
    return {"rates": rates, "rows": rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="predicted vs measured on this machine's avx512_bf16")
    ap.add_argument("--predict-amx", action="store_true")
    ap.add_argument("--machine", default="zen4", choices=[m for m in MACHINES if m != "spr"])
    ap.add_argument("--m", type=int, nargs="+", default=[1, 16, 128, 1024])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--k", type=int, default=4096)
    ap.add_argument("--count-k", type=int, default=None,
                    help="K at which --predict-amx counts (default 512, or two tile K-chunks); the fixed costs of "
                         "each block are counted per count-k and scaled, so compare predictions at one count-k")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = {}
    if args.check:
        out["check"] = check(args)
    if args.predict_amx:
        out["amx"] = predict_amx(args)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)
        print("wrote", args.out)


if __name__ == "__main__":
    main()
