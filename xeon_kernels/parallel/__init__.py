"""Tensor parallelism over torch.distributed for models quantized by xeon_kernels.quantize_ (or loaded with
load_quantized): `init()` under torchrun, then `shard_(model)`, or `load_sharded(directory)` straight from a
quantized checkpoint.

Which layer is split how comes from the model's own tensor-parallel plan (transformers'
`config.base_model_tp_plan` and the model's `_tp_plan`: for Llama and Qwen2, q/k/v and gate/up column-parallel,
o_proj and down_proj row-parallel, lm_head column-parallel with its outputs gathered). Attention heads and KV
heads follow from the column split (each rank keeps whole heads; the attention module reshapes with -1).
Embeddings stay whole on every rank: a lookup reads only its tokens' rows, so splitting them would save memory
but no time, and would cost a collective. lm_head is split by vocabulary: its weight is the largest read of a
decode step (1 GiB in bf16 for Llama-3.1-8B), which each rank then reads a 1/world part of.
Row-parallel layers of the dynamic schemes (da8w8, da8w4) quantize each rank's slice of the activation with
its own per-token scale (as sglang and vLLM do): never coarser than the whole row's, one collective fewer.
"""
import logging
import re
from typing import Optional

import torch
from torch import nn

from ..nn import FusedProjection, FusedSlice, QuantizedLinear
from .comm import Comm, GatherOutputLinear, RowParallelLinear
from .launch import DEFAULT_TIMEOUT_S, init, rank_cores  # noqa: F401
from .shard import ShardError, shard_columns, shard_rows

__all__ = ["init", "shard_", "load_sharded", "ShardError", "rank_cores", "comm_of"]

log = logging.getLogger("xeon_kernels")
STYLES = ("colwise", "rowwise", "colwise_gather_output")


def _plan(model: nn.Module) -> dict:
    """{regex over qualified module names: style} from the model's tensor-parallel plan."""
    config = getattr(model, "config", None)
    base = getattr(config, "base_model_tp_plan", None) or {}
    prefix = getattr(model, "base_model_prefix", "")
    plan = {(f"{prefix}.{k}" if prefix and hasattr(model, prefix) else k): v for k, v in base.items()}
    plan.update(getattr(model, "_tp_plan", None) or {})
    if not base:
        raise ValueError(f"model: {type(model).__name__} declares no tensor-parallel plan (config.base_model_tp_plan); "
                         "xeon_kernels.parallel.shard_ follows the transformers plan of an architecture")
    return {re.compile(re.escape(k).replace(r"\*", r"\d+") + "$"): v for k, v in plan.items()}


def _style(plan: dict, name: str) -> Optional[str]:
    styles = {v for rx, v in plan.items() if rx.match(name)}
    if len(styles) > 1:
        raise ValueError(f"{name}: the tensor-parallel plan gives it several styles {sorted(styles)}")
    return styles.pop() if styles else None


def _heads_unit(parent: nn.Module) -> int:
    """Output channels that must stay together on a rank: one attention head (head_dim) in attention modules."""
    return int(getattr(parent, "head_dim", 1) or 1)


def shard_(model: nn.Module, group=None, all_reduce: str = "auto") -> nn.Module:
    """Splits the model's linear layers over the ranks of `group` (default: the world) in place and returns it.
    Every rank must call it on the same model. All shapes are checked before anything changes: a shape that
    cannot be split (heads or int4 groups not divisible by the ranks) raises ShardError naming the layer, on
    every rank alike and before any collective, so no rank is left waiting. all_reduce: "auto" (shared memory
    where every rank is on this machine, else gloo), "shm" or "gloo"."""
    import torch.distributed as dist
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("shard_: torch.distributed is not initialised; call xeon_kernels.parallel.init() under "
                           "torchrun (or torch.distributed.init_process_group) first")
    if getattr(model, "xeon_parallel", None) is not None:
        raise ValueError("model: already sharded by xeon_kernels.parallel.shard_")
    plan = _plan(model)
    modules = dict(model.named_modules())
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    replacements, fused_done = [], set()
    for name, m in modules.items():
        style = _style(plan, name)
        if style is None or isinstance(m, nn.Embedding):
            continue  # embeddings stay whole on every rank, whatever the plan says (see above)
        if style not in STYLES:
            raise ValueError(f"{name}: tensor-parallel style {style!r} is not supported (expected one of {STYLES})")
        parent_name, _, leaf = name.rpartition(".")
        parent = modules[parent_name]
        unit = _heads_unit(parent)
        if isinstance(m, FusedSlice):
            fused = m._fused[0]
            if style != "colwise":
                raise ValueError(f"{name}: a fused projection's slice must be column-parallel, the plan says {style!r}")
            if id(fused) in fused_done:
                continue
            fused_done.add(id(fused))
            fused_name = f"{parent_name}.{fused.name}"
            local = shard_columns(fused, rank, world, fused_name, unit)
            replacements.append((parent, fused.name, local, [(n, c.index) for n, c in parent.named_children()
                                                             if isinstance(c, FusedSlice) and c._fused[0] is fused]))
            continue
        if not isinstance(m, (nn.Linear, QuantizedLinear)):
            raise ValueError(f"{name}: the plan splits it ({style}) but it is a {type(m).__name__}, not a linear layer")
        if style == "rowwise":
            local, bias = shard_rows(m, rank, world, name, unit)
            replacements.append((parent, leaf, RowParallelLinear(local, bias, None, m.in_features), None))
        elif style == "colwise":
            replacements.append((parent, leaf, shard_columns(m, rank, world, name, unit), None))
        elif m.out_features % world == 0:
            replacements.append((parent, leaf, GatherOutputLinear(shard_columns(m, rank, world, name),
                                                                  None, m.out_features), None))
        else:  # an all-gather needs equal parts: a vocabulary the ranks do not divide stays whole
            log.info("%s: out_features = %d not divisible by %d ranks: kept whole on every rank", name,
                     m.out_features, world)
    if not replacements:
        raise ValueError("model: its tensor-parallel plan matches none of its modules")
    comm = Comm(group, all_reduce)  # every shape checked: the first collectives (the shared region's set-up)
    for parent, leaf, module, slices in replacements:  # every shard is built: now swap
        if isinstance(module, (RowParallelLinear, GatherOutputLinear)):
            module.comm = comm
        setattr(parent, leaf, module)
        for slice_name, index in slices or ():
            setattr(parent, slice_name, FusedSlice(module, index))
    model.xeon_parallel = comm
    return model


def comm_of(model: nn.Module) -> Comm:
    """The Comm of a sharded model (its collectives' call counts, bytes and seconds in .stats)."""
    comm = getattr(model, "xeon_parallel", None)
    if comm is None:
        raise ValueError("model: not sharded by xeon_kernels.parallel.shard_")
    return comm


def load_sharded(directory: str, model: Optional[nn.Module] = None, group=None, verify: bool = True,
                 all_reduce: str = "auto") -> nn.Module:
    """A checkpoint of xeon_kernels.save_quantized loaded straight into this rank's shards: the unsharded
    layers are only memory-mapped (the page cache shares them among the ranks of a machine), each rank keeps
    copies of its own shards, and no float weight is ever made."""
    from ..models import load_quantized
    return shard_(load_quantized(directory, model, verify=verify), group, all_reduce)
