"""Tensor parallel end to end: TTFT and TPOT of the Llama-3.1-8B-shaped model of e2e_llama.py (random weights,
`--layers` of its 32) quantized by xeon_kernels, at 1 rank (one process, every core) and at N ranks
(torchrun, xeon_kernels.parallel: one rank per share of the cores), with the collectives' share of each step,
and a gloo all-reduce latency curve (seconds against bytes) fitted as alpha + beta * bytes for the scaling model
in the README.

    .venv/bin/python benchmarks/tp_llama.py [--layers 2] [--ranks 2] [--schemes da8w4 a16w4] [--prompt 1024]

The quantized checkpoint of each scheme is made once (one process builds the bf16 model and saves it with
save_quantized) and every configuration loads it: at N ranks with parallel.load_sharded, so no rank holds the
float model. Results: benchmarks/results/tp_llama.json and a table (paste it into RESULTS.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from common import machine_description  # noqa: E402
from e2e_llama import GROUP, LLAMA_31_8B, build, weight_bytes_per_token  # noqa: E402

import xeon_kernels as xk  # noqa: E402
from xeon_kernels import parallel  # noqa: E402

# all-reduce sizes of the latency curve: a decode step's hidden state (4096 fp32 = 16 KiB) up to a prefill's
ALL_REDUCE_BYTES = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20]


def checkpoint(scheme, layers, root):
    directory = os.path.join(root, f"llama31-8b-{layers}l-{scheme}")
    if not os.path.exists(os.path.join(directory, "xeon_quantization.json")):
        model = build(layers)
        xk.quantize_(model, scheme, group_size=GROUP if scheme in ("da8w4", "a16w4") else None, progress=False)
        xk.save_quantized(model, directory)
    return directory


class CommClock:
    """A logits processor (called once per generated token) recording the time and the collectives' seconds so
    far: per step, its duration and the part of it spent in all-reduce / all-gather."""

    def __init__(self, comm):
        self.comm, self.marks = comm, []

    def comm_s(self):
        return sum(s[2] for s in self.comm.stats.values()) if self.comm else 0.0

    def __call__(self, input_ids, scores):
        self.marks.append((time.perf_counter(), self.comm_s()))
        return scores


def timed_generate(model, ids, new, comm):
    from transformers import LogitsProcessorList
    clock = CommClock(comm)
    if comm:
        comm.reset_stats()
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=new, min_new_tokens=new, do_sample=False,
                             logits_processor=LogitsProcessorList([clock]))
    (t1, c1), steps = clock.marks[0], list(zip(clock.marks, clock.marks[1:]))
    tpot = statistics.median(b[0] - a[0] for a, b in steps)
    comm_share = statistics.median((b[1] - a[1]) / (b[0] - a[0]) for a, b in steps)
    return {"ttft_s": t1 - t0, "tpot_s": tpot, "prefill_comm_share": c1 / (t1 - t0), "decode_comm_share": comm_share,
            "tokens": out[0, ids.shape[1]:].tolist()}


def all_reduce_curve(backend, reps=30):
    """(bytes, median seconds) of the fp32 all-reduce through parallel's Comm on `backend` ("shm" or "gloo")."""
    import torch.distributed as dist
    from xeon_kernels.parallel.comm import Comm
    comm = Comm(all_reduce=backend)
    curve = []
    for nbytes in ALL_REDUCE_BYTES:
        t = torch.ones(nbytes // 4)
        times = []
        for _ in range(reps):
            dist.barrier()
            t0 = time.perf_counter()
            comm.all_reduce_(t)
            times.append(time.perf_counter() - t0)
        curve.append((nbytes, statistics.median(times)))
    return curve


def fit(curve):
    """Least squares t = alpha + beta * bytes."""
    n = len(curve)
    mx, my = sum(b for b, _ in curve) / n, sum(t for _, t in curve) / n
    beta = sum((b - mx) * (t - my) for b, t in curve) / sum((b - mx) ** 2 for b, _ in curve)
    return my - beta * mx, beta


def worker(args):
    """One rank (under torchrun): load, warm up, time; rank 0 prints the row."""
    rank, world = parallel.init()
    model = parallel.load_sharded(args.worker, all_reduce=args.all_reduce[0]) if world > 1 else \
        xk.load_quantized(args.worker)
    comm = parallel.comm_of(model) if world > 1 else None
    ids = torch.randint(0, LLAMA_31_8B["vocab_size"], (1, args.prompt), generator=torch.Generator().manual_seed(1))
    timed_generate(model, ids[:, :64], 4, comm)  # warm-up (first calls, thread pools, gloo pairs)
    res = timed_generate(model, ids, args.new, comm)
    res.update(ranks=world, threads_per_rank=torch.get_num_threads(), cores=sorted(os.sched_getaffinity(0)),
               weight_bytes_per_rank=weight_bytes_per_token(model))
    if world > 1:
        res["all_reduce"] = comm.all_reduce_backend
        res["all_reduce_curve"] = all_reduce_curve(comm.all_reduce_backend)
        res["alpha_s"], res["beta_s_per_byte"] = fit(res["all_reduce_curve"])
        res["stats"] = comm.stats
    if rank == 0:
        print("RESULT " + json.dumps(res), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--schemes", nargs="+", default=["da8w4", "a16w4"])
    ap.add_argument("--prompt", type=int, default=1024)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--all-reduce", nargs="+", default=["shm", "gloo"], choices=["shm", "gloo"],
                    help="the all-reduce(s) of the multi-rank runs")
    ap.add_argument("--checkpoints", default=os.path.join(tempfile.gettempdir(), "xeon_kernels_tp"))
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # internal: one rank on this checkpoint
    ap.add_argument("--out", default=os.path.join(HERE, "results", "tp_llama.json"))
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    machine = machine_description()
    print(f"# {machine['cpu']} | {machine['logical_cpus']} CPUs | torch {machine['torch_version']} | path "
          f"{machine['selected_path']}; Llama-3.1-8B shapes, {args.layers} layers, prompt {args.prompt}, "
          f"{args.new} new tokens")
    rows = []
    for scheme in args.schemes:
        directory = checkpoint(scheme, args.layers, args.checkpoints)
        for ranks, backend in [(1, "gloo")] + [(args.ranks, b) for b in args.all_reduce if args.ranks > 1]:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(ranks),
                   os.path.abspath(__file__), "--worker", directory, "--prompt", str(args.prompt), "--new",
                   str(args.new), "--all-reduce", backend]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                rows.append({"scheme": scheme, "ranks": ranks, "error": proc.stderr.strip()[-300:]})
                print(f"{scheme} at {ranks} ranks: failed: {rows[-1]['error']}")
                continue
            res = json.loads(line[len("RESULT "):])
            res["scheme"] = scheme
            rows.append(res)
            print(fmt(res), flush=True)
    for r in rows:  # the same scheme at 1 rank, measured in this run
        base = next((b for b in rows
                     if b.get("scheme") == r.get("scheme") and b.get("ranks") == 1 and "error" not in b), None)
        if base and "error" not in r:
            r["speedup_ttft"], r["speedup_tpot"] = base["ttft_s"] / r["ttft_s"], base["tpot_s"] / r["tpot_s"]
            pairs = list(zip(r["tokens"], base["tokens"]))
            r["tokens_agreeing"] = next((i for i, (a, b) in enumerate(pairs) if a != b), len(pairs))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": machine, "args": vars(args), "rows": rows}, f, indent=1)
    print(table(rows))
    print("wrote", args.out)


def fmt(r):
    return (f"{r['scheme']} {r['ranks']} rank(s) x {r['threads_per_rank']} threads"
            f"{' (' + r['all_reduce'] + ')' if 'all_reduce' in r else ''}: TTFT {r['ttft_s'] * 1e3:.0f} ms "
            f"(collectives {r['prefill_comm_share'] * 100:.1f}%), TPOT {r['tpot_s'] * 1e3:.1f} ms (collectives "
            f"{r['decode_comm_share'] * 100:.1f}%)"
            + (f"; all-reduce alpha {r['alpha_s'] * 1e6:.0f} us, {1 / r['beta_s_per_byte'] / 1e9:.2f} GB/s"
               if "alpha_s" in r else ""))


def table(rows):
    lines = ["| scheme | ranks x threads, all-reduce | TTFT ms | TPOT ms | TTFT / TPOT vs 1 rank | "
             "collectives: prefill / decode | weights read per rank per token | leading tokens as at 1 rank |",
             "|" + " --- |" * 8]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['scheme']} | {r['ranks']} | failed: {r['error'][-80:]} |" + " |" * 5)
            continue
        backend = f", {r['all_reduce']}" if "all_reduce" in r else ""
        lines.append(f"| {r['scheme']} | {r['ranks']} x {r['threads_per_rank']}{backend} | {r['ttft_s'] * 1e3:.0f} | "
                     f"{r['tpot_s'] * 1e3:.1f} | {r.get('speedup_ttft', 1):.2f}x / {r.get('speedup_tpot', 1):.2f}x | "
                     f"{r['prefill_comm_share'] * 100:.1f}% / {r['decode_comm_share'] * 100:.1f}% | "
                     f"{r['weight_bytes_per_rank'] / 2**20:.0f} MiB | "
                     f"{r.get('tokens_agreeing', '-')} of {len(r['tokens'])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
