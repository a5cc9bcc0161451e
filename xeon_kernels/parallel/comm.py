"""The collectives of a tensor-parallel model and the modules that call them: a row-parallel linear (all-reduce
of the partial outputs) and a column-parallel one whose outputs are gathered (the vocabulary-parallel lm_head).
Every collective goes through Comm, which times it (the benchmark reports the all-reduce share of a step)."""
import time
from typing import Optional

import torch
import torch.distributed as dist
from torch import nn


# Bytes of one rank's slot in the shared-memory region (2 x world slots): a decode step's all-reduce (4096 fp32 =
# 16 KiB) in one round, a 1024-token prefill's (16 MiB) in four.
SHM_SLOT_BYTES = 4 << 20


class ShmAllReduce:
    """The all-reduce of ranks on one machine through a /dev/shm region every rank maps (xeon::shm_all_reduce):
    one copy in, a flag, a wait and a summing read per round. Sums in rank order, so every rank gets the same bits,
    which are gloo's for 2 ranks (fp32 addition of two values commutes)."""

    def __init__(self, group, rank: int, world: int, timeout_s: float, slot_bytes: int = SHM_SLOT_BYTES):
        import os
        import uuid
        name = [f"/dev/shm/xeon_kernels_tp_{uuid.uuid4().hex}" if rank == 0 else None]
        dist.broadcast_object_list(name, src=dist.get_global_rank(group, 0) if group is not None else 0, group=group)
        self.path, size = name[0], world * 64 + 2 * world * slot_bytes
        if rank == 0:
            with open(self.path, "wb") as f:
                f.truncate(size)
        dist.barrier(group=group)
        self.region = torch.from_file(self.path, shared=True, size=size, dtype=torch.uint8)
        self.capacity = int(torch.ops.xeon.shm_join(self.region, rank, world)[0])  # floats per slot
        dist.barrier(group=group)  # every rank has mapped it and written its pid: the name can go
        if rank == 0:
            os.unlink(self.path)
        self.rank, self.world, self.timeout_s, self.round = rank, world, float(timeout_s), 0

    def __call__(self, acc: torch.Tensor) -> torch.Tensor:
        flat = acc.view(-1)
        for start in range(0, flat.numel(), self.capacity):
            part = flat[start:start + self.capacity]
            self.round += 1
            part.copy_(torch.ops.xeon.shm_all_reduce(self.region, part, self.rank, self.world, self.round,
                                                     self.timeout_s))
        return acc


class Comm:
    """A process group's all-reduce and all-gather, with the time and bytes spent in each. The all-reduce runs
    through shared memory where every rank of the group is on this machine (`all_reduce="auto"` or "shm"), else
    through torch.distributed (gloo)."""

    def __init__(self, group=None, all_reduce: str = "auto", timeout_s: Optional[float] = None):
        from .launch import collective_timeout_s, ranks_share_this_machine
        if all_reduce not in ("auto", "shm", "gloo"):
            raise ValueError(f"all_reduce: expected 'auto', 'shm' or 'gloo', got {all_reduce!r}")
        self.group = group
        self.rank = dist.get_rank(group)
        self.world = dist.get_world_size(group)
        local = ranks_share_this_machine(group)
        if all_reduce == "shm" and not local:
            raise ValueError("all_reduce: 'shm' needs every rank of the group on this machine")
        timeout = collective_timeout_s() if timeout_s is None else timeout_s
        self.shm = ShmAllReduce(group, self.rank, self.world, timeout) \
            if self.world > 1 and local and all_reduce != "gloo" else None
        self.all_reduce_backend = "shm" if self.shm else "gloo"
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"all_reduce": [0, 0, 0.0], "all_gather": [0, 0, 0.0]}  # calls, bytes, seconds

    def _call(self, kind, run):
        try:
            run()
        except RuntimeError as e:  # the backend's own words ("Connection closed by peer", "has exited") kept after ours
            raise RuntimeError(f"xeon_kernels.parallel: {kind} failed on rank {self.rank} of {self.world}: another "
                               f"rank died, erred or did not answer in time ({e})") from e

    def _count(self, kind, t, start):
        s = self.stats[kind]
        s[0] += 1
        s[1] += t.numel() * t.element_size()
        s[2] += time.perf_counter() - start

    def all_reduce_(self, acc: torch.Tensor) -> torch.Tensor:
        """Sums the fp32 tensor acc over the ranks, in place."""
        start = time.perf_counter()
        self._call("all_reduce", (lambda: self.shm(acc)) if self.shm is not None else
                   (lambda: dist.all_reduce(acc, group=self.group)))
        self._count("all_reduce", acc, start)
        return acc

    def all_gather_last(self, y: torch.Tensor) -> torch.Tensor:
        """The ranks' y concatenated along the last dimension (rank order)."""
        start = time.perf_counter()
        y = y.contiguous()
        parts = [torch.empty_like(y) for _ in range(self.world)]
        self._call("all_gather", lambda: dist.all_gather(parts, y, group=self.group))
        out = torch.cat(parts, dim=-1)
        self._count("all_gather", y, start)
        return out


class RowParallelLinear(nn.Module):
    """A linear whose K is split over the ranks: each computes its partial product on its slice of the input
    (the output of a column-parallel layer), the partials are summed by all-reduce, the bias added once."""

    def __init__(self, local: nn.Module, bias: Optional[torch.Tensor], comm: Comm, in_features: int):
        super().__init__()
        self.local = local
        self.bias = nn.Parameter(bias, requires_grad=False) if bias is not None else None
        self.comm = comm
        self.in_features, self.out_features = in_features, local.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # partials summed in fp32 and the bias added before the one rounding to x's dtype, as the unsharded
        # kernel's epilogue does (the partials themselves come rounded to x's dtype out of the local op)
        y = self.local(x)
        acc = y.float()
        if self.comm.world > 1:
            self.comm.all_reduce_(acc)  # the op's output is contiguous (and y.float() is y for fp32)
        if self.bias is not None:
            acc = acc + self.bias.float()
        return acc.to(y.dtype)

    def extra_repr(self) -> str:
        return f"rank {self.comm.rank} of {self.comm.world}: in_features {self.local.in_features} of {self.in_features}"


class GatherOutputLinear(nn.Module):
    """A linear whose output channels are split over the ranks, its outputs gathered on every rank (lm_head:
    each rank reads 1/world of its weight, the largest single read of a decode step)."""

    def __init__(self, local: nn.Module, comm: Comm, out_features: int):
        super().__init__()
        self.local = local
        self.comm = comm
        self.in_features, self.out_features = local.in_features, out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # 2-D: aten's bf16 linear on the [B, 1, K] slice of the last position that generate passes takes a
        # batched-matmul path about 60x slower than on the same rows as a matrix (torch 2.13, measured)
        y = self.local(x.reshape(-1, x.shape[-1])).view(*x.shape[:-1], -1)
        return self.comm.all_gather_last(y) if self.comm.world > 1 else y

    def extra_repr(self) -> str:
        return (f"rank {self.comm.rank} of {self.comm.world}: "
                f"out_features {self.local.out_features} of {self.out_features}")
