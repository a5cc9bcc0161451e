"""Renders bench_linear.py JSON results as a markdown table (for benchmarks/RESULTS.md).

    python benchmarks/report.py benchmarks/results/some-run.json [more.json ...]
"""
import json
import sys


def pct(v):
    return f"{v * 100:.0f}%" if v is not None else "-"


def render(path):
    with open(path) as f:
        d = json.load(f)
    m, c = d["machine"], d["ceilings"]
    peak = c.get("int8_ops_per_s")
    lines = [f"### `{path.split('/')[-1]}`", "",
             f"{m['cpu']}, {m['torch_threads']} threads, torch {m['torch_version']}, path `{m['selected_path']}`; "
             f"read bandwidth {c['read_bytes_per_s'] / 1e9:.1f} GB/s, int8 peak "
             + (f"{peak / 1e12:.2f} TOPS" if peak else "n/a (no hardware int8 instruction on this path)")
             + f"; eager call overhead {d['call_overhead_s'] * 1e6:.1f} us (tiny da8w8 call, median).", "",
             "| scheme | K x N | M | ms | GOPS | weight GB/s | of int8 peak | of read BW | speed-up vs |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in d["rows"]:
        sp = ", ".join(f"{k} {v:.2f}x" for k, v in r["speedup"].items())
        lines.append(f"| {r['scheme']}{'/g' + str(r['group']) if r.get('group') else ''} | {r['K']}x{r['N']} | "
                     f"{r['M']} | {r['ms']:.3f} | {r['gops']:.1f} | {r['weight_gbs']:.2f} | "
                     f"{pct(r.get('frac_int8_peak'))} | {pct(r.get('frac_read_bw'))} | {sp} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print("\n".join(render(p) for p in sys.argv[1:]))
