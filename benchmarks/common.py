"""Timing and ceiling helpers shared by the benchmarks. Medians, never single runs."""
import json
import os
import platform
import statistics
import time

import torch

import xeon_kernels as xk


def median_time(fn, min_reps=3, max_reps=50, budget_s=0.5):
    """Median wall time of fn() in seconds: one warm-up call, then as many calls as fit the budget."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    reps = max(min_reps, min(max_reps, int(budget_s / max(first, 1e-9))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def l3_bytes(default=64 << 20):
    """The last-level cache size of cpu0 (sysfs), or `default` where unknown."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index3/size") as f:
            text = f.read().strip()
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
    except (OSError, ValueError):
        return default


def rotating(make_call, copies):
    """A callable that cycles through `copies` independent calls (each with its own weight copy), so that
    with copies totalling more than the last-level cache every call reads its weights from memory."""
    calls = [make_call(i) for i in range(copies)]
    state = {"i": 0}

    def run():
        state["i"] = (state["i"] + 1) % len(calls)
        return calls[state["i"]]()
    return run


_READ_BUFFERS = {}


# Streams per thread of the probe's passes, in turn (csrc/kernels/read_probe.h says why). Zen 4, 2 threads, best
# of 3 passes each, three rounds minutes apart (2026-11-29): 1 stream 22.2-24.3 GB/s, 2: 20.9-23.6, 4: 19.2-23.0,
# 8: 24.6-26.3; the best pattern moves with the host, so every pattern takes part.
READ_STREAMS = (1, 2, 4, 8)


def read_bandwidth(gib=1, passes=8):
    """Streaming read bandwidth (bytes/s) of a `gib` GiB buffer (32 times a 32 MiB last-level cache) on all
    threads, with the selected path's widest loads: the best of `passes` reads, which take turns at 1, 2, 4
    and 8 streams per thread (a ceiling is what the machine can reach; on these shared machines a median pass often
    sits well below). The buffer is kept for the next call (faulting 1 GiB in takes longer than reading it)."""
    if gib not in _READ_BUFFERS:
        _READ_BUFFERS[gib] = torch.ones(gib * 2**27, dtype=torch.int64)  # 1 GiB = 2^27 int64
    buf = _READ_BUFFERS[gib]
    rates = []
    for i in range(passes):
        nbytes, secs = torch.ops.xeon.probe_read_bandwidth(buf, 1, READ_STREAMS[i % len(READ_STREAMS)]).tolist()
        rates.append(nbytes / secs)
    return max(rates)


def int8_peak(path_name, iters=2_000_000, passes=5):
    """Best int8 ops/s of the path's dot-product instruction on all threads over `passes` runs; None where the
    path has no hardware int8 dot-product instruction (xeon::info: ref, avx2, the emulated paths)."""
    path = next(p for p in xk._library.info()["paths"] if p["name"] == path_name)
    if not path["int8_peak_probe"]:
        return None
    if path_name == "amx":
        # one AMX probe iteration (4 tdpbusd of 16 x 16 x 64 MACs) does 128 times the MACs of one VNNI probe
        # iteration (8 vpdpbusd of 16 x 4); at AMX's 16 times higher per-core rate (2048 vs 128 int8 MACs a
        # cycle) a sixteenth of the iterations takes about half the VNNI probe's time
        iters //= 16
    rates = []
    for _ in range(passes):
        ops, secs = torch.ops.xeon.probe_int8_peak(path["id"], iters).tolist()
        rates.append(ops / secs)
    return max(rates)


def machine_description():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "logical_cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "host": platform.node(), **xk.info()}


def write_results(path, **payload):
    """The run's JSON (machine, options, rows, ...) at path, its folder made if needed."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
    print("wrote", path)
