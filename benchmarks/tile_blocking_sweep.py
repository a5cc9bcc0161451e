"""The AMX tile kernels' K-chunk (xeon_kernels.set_tile_k_chunk) and thread count, swept in one process.

For each shape and scheme at M = 1024 (prefill), the tile kernels run with each K-chunk setting (0: all of K in
one pass, the form measured at 18-20% of the AMX int8 peak in the seventh session) and each thread count, in
interleaved rounds; per setting the median over rounds of each round's median, GOPS, the fraction of the path's
int8 instruction peak measured in the same run (int8 schemes), and the time against the first chunk setting at
the same thread count. Outputs are the same bits at every setting (tests/test_driver_blocking.py); only the time
moves.

    python benchmarks/tile_blocking_sweep.py                          # on an AMX machine
    python benchmarks/tile_blocking_sweep.py --path amx_emulated --m 64 --shapes 512x256 --rounds 1   # a dry run

The chunk changes nothing on the vector paths (they stream K in one pass); on the emulated tile paths the timings
measure the software model, not a machine.
"""
import argparse
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xeon_kernels as xk  # noqa: E402
from common import int8_peak, machine_description, median_time, write_results  # noqa: E402

INT8_SCHEMES = ("da8w8", "da8w4")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--m", type=int, default=1024)
    p.add_argument("--shapes", nargs="+", default=["4096x4096", "14336x4096"], help="KxN")
    p.add_argument("--schemes", nargs="+", default=["da8w8", "da8w4", "a16w8"])
    p.add_argument("--group", type=int, default=128)
    p.add_argument("--chunks", nargs="+", type=int, default=[0, 256, 512, 1024, 2048],
                   help="K-chunks in bytes of an activation row (0: all of K in one pass)")
    p.add_argument("--threads", nargs="+", type=int, default=None, help="default: torch's thread count")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=5, help="timed calls per setting and round")
    p.add_argument("--path", default=None, help="kernel path (default: the best this CPU runs)")
    p.add_argument("--out", default=None)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.path:
        xk.set_path(args.path)
    path = xk.info()["selected_path"]
    threads = args.threads or [torch.get_num_threads()]
    peak = int8_peak(path)
    print(f"path {path}; int8 peak {peak / 1e12:.2f} TOPS" if peak else f"path {path}; no int8 peak probe")
    rows = []
    previous_threads = torch.get_num_threads()
    previous_chunk = xk.tuning.get_tile_k_chunk()
    try:
        for shape in args.shapes:
            K, N = (int(v) for v in shape.split("x"))
            w = torch.randn(N, K, generator=torch.Generator().manual_seed(K * N)) * 0.02
            x = torch.randn(args.m, K, dtype=torch.bfloat16, generator=torch.Generator().manual_seed(1))
            for scheme in args.schemes:
                p = xk.pack_weight(w, scheme, args.group if scheme in ("da8w4", "a16w4") else None)
                times = {(t, c): [] for t in threads for c in args.chunks}
                for _ in range(args.rounds):
                    for t in threads:
                        torch.set_num_threads(t)
                        for c in args.chunks:
                            xk.set_tile_k_chunk(c)
                            # one warm-up call (converted weights, thread caches), then exactly `calls` timed
                            times[(t, c)].append(median_time(lambda: xk.linear(x, p), args.calls, args.calls))
                ops = 2 * args.m * N * K
                for t in threads:
                    base = statistics.median(times[(t, args.chunks[0])])
                    for c in args.chunks:
                        s = statistics.median(times[(t, c)])
                        row = {"scheme": scheme, "K": K, "N": N, "M": args.m, "threads": t, "chunk": c,
                               "ms": s * 1e3, "gops": ops / s / 1e9, "vs_first_chunk": base / s,
                               "round_ms": [v * 1e3 for v in times[(t, c)]]}
                        if peak and scheme in INT8_SCHEMES:
                            # the peak probe ran on torch's thread count at the start
                            row["int8_peak_fraction"] = ops / s / peak
                        rows.append(row)
                        frac = f" {row['int8_peak_fraction']:6.1%}" if "int8_peak_fraction" in row else ""
                        print(f"{scheme} {K}x{N} M={args.m} threads={t:3d} chunk={c:5d}: {row['ms']:8.2f} ms "
                              f"{row['gops']:8.0f} GOPS{frac}  {row['vs_first_chunk']:.2f}x chunk {args.chunks[0]}",
                              flush=True)
                if args.out:  # after every scheme, so a run cut short keeps what it measured
                    write_results(args.out, machine=machine_description(), options=vars(args), kernel_path=path,
                                  int8_peak_ops=peak, rows=rows)
    finally:
        torch.set_num_threads(previous_threads)
        xk.set_tile_k_chunk(previous_chunk)
    return rows


if __name__ == "__main__":
    main()
