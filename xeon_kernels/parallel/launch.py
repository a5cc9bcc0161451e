"""Starting a tensor-parallel run under torchrun: the gloo process group, with a bounded timeout, and each rank
pinned to its own cores (whole physical cores, within one NUMA node where there are several), with as many
torch threads as it has cores."""
import datetime
import glob
import os
from typing import Dict, List, Optional

import torch
import torch.distributed as dist

# Seconds a collective may wait for the other ranks before it fails: bounded, so a rank that dies or errs makes
# the others exit with an error rather than hang (torch's default is 30 minutes). Override: XEON_TP_TIMEOUT.
DEFAULT_TIMEOUT_S = 120


def _read(path: str, default: str = "") -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def _cpulist(text: str) -> List[int]:
    cpus = []
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        cpus += range(int(a), int(b or a) + 1)
    return cpus


def cpu_topology(cpus) -> Dict[int, tuple]:
    """cpu -> (NUMA node, package, core id), from /sys (0s where it is not readable)."""
    node_of = {}
    for node_dir in glob.glob("/sys/devices/system/node/node[0-9]*"):
        node = int(node_dir.rsplit("node", 1)[1])
        node_of.update({c: node for c in _cpulist(_read(os.path.join(node_dir, "cpulist")))})
    topo = {}
    for c in cpus:
        base = f"/sys/devices/system/cpu/cpu{c}/topology"
        topo[c] = (node_of.get(c, 0), int(_read(f"{base}/physical_package_id", "0")),
                   int(_read(f"{base}/core_id", "0")))
    return topo


def rank_cores(local_rank: int, local_world: int, cpus=None, topology: Optional[Dict[int, tuple]] = None) -> List[int]:
    """The CPUs of local rank `local_rank` of `local_world` on this machine: the allowed CPUs ordered by
    (node, package, core) so that hyperthread siblings are neighbours, then cut into equal runs; where there are
    several NUMA nodes and the ranks divide evenly among them, each rank's run lies within one node."""
    cpus = sorted(os.sched_getaffinity(0) if cpus is None else cpus)
    topology = cpu_topology(cpus) if topology is None else topology
    if local_world > len(cpus):
        raise ValueError(f"local_world: {local_world} ranks on this machine but only {len(cpus)} CPUs to share")
    ordered = sorted(cpus, key=lambda c: (*topology[c], c))
    nodes = sorted({topology[c][0] for c in cpus})
    if len(nodes) > 1 and local_world % len(nodes) == 0:
        per_node = local_world // len(nodes)
        ordered = [c for c in ordered if topology[c][0] == nodes[local_rank // per_node]]
        local_rank, local_world = local_rank % per_node, per_node
        if local_world > len(ordered):
            raise ValueError(f"local_world: {per_node} ranks per NUMA node but node {nodes[0]} has {len(ordered)} CPUs")
    size, extra = divmod(len(ordered), local_world)
    start = local_rank * size + min(local_rank, extra)
    return ordered[start:start + size + (local_rank < extra)]


_TIMEOUT = {"s": float(DEFAULT_TIMEOUT_S)}


def collective_timeout_s() -> float:
    """The timeout init() gave the process group (the shared-memory all-reduce waits as long)."""
    return _TIMEOUT["s"]


def ranks_share_this_machine(group=None) -> bool:
    """Whether every rank of the group runs on this machine (torchrun: LOCAL_WORLD_SIZE == WORLD_SIZE; else
    the host names, gathered)."""
    world = dist.get_world_size(group)
    if group is None and os.environ.get("LOCAL_WORLD_SIZE") and os.environ.get("WORLD_SIZE"):
        return int(os.environ["LOCAL_WORLD_SIZE"]) == int(os.environ["WORLD_SIZE"]) == world
    import socket
    hosts = [None] * world
    dist.all_gather_object(hosts, socket.gethostname(), group=group)
    return len(set(hosts)) == 1


def init(backend: str = "gloo", timeout_s: Optional[float] = None, pin: bool = True):
    """Initialises torch.distributed from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
    LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) unless it already is, and pins this process to its cores.
    Returns (rank, world size)."""
    if not dist.is_initialized():
        missing = [v for v in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if v not in os.environ]
        if missing:
            raise RuntimeError(f"xeon_kernels.parallel.init: {', '.join(missing)} not set; launch with "
                               "`torchrun --nproc-per-node N script.py`, or call torch.distributed.init_process_group")
        timeout_s = float(os.environ.get("XEON_TP_TIMEOUT", DEFAULT_TIMEOUT_S)) if timeout_s is None else timeout_s
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
        _TIMEOUT["s"] = timeout_s
    if pin:
        cores = rank_cores(int(os.environ.get("LOCAL_RANK", dist.get_rank())),
                           int(os.environ.get("LOCAL_WORLD_SIZE", dist.get_world_size())))
        # every thread of the process: sched_setaffinity(0) moves only the caller, and threads started before
        # (gloo's, a thread pool a torch op already ran) would keep every CPU
        for tid in os.listdir("/proc/self/task"):
            try:
                os.sched_setaffinity(int(tid), cores)
            except OSError:  # a thread that ended meanwhile
                pass
        torch.set_num_threads(len(cores))
    return dist.get_rank(), dist.get_world_size()
