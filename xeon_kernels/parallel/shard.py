"""Slicing one layer for tensor parallelism, on its packed weight: output channels (rows) for a column-parallel
layer, a contiguous range of K for a row-parallel one. A quantized layer is unpacked to its integer codes,
scales and zero points, sliced and packed again: the shard holds exactly the unsharded layer's codes (nothing
is requantized, no float weight is made). Float nn.Linear layers (lm_head) are sliced directly."""
import math
from typing import List, Optional, Sequence

import torch
from torch import nn

from .. import layouts
from ..nn import FusedProjection, QuantizedLinear
from ..packed import PackedWeight


class ShardError(ValueError):
    """A layer whose shape cannot be split over the ranks; the message names the layer."""


def even_range(size: int, rank: int, world: int, name: str, what: str, unit: int = 1):
    """[start, stop) of rank's equal part of `size`; every part a multiple of `unit` (a head, an int4 group)."""
    if size % world or (size // world) % unit:
        need = f"a multiple of {world} ranks" + (f" x {unit}" if unit > 1 else "")
        raise ShardError(f"{name}: {what} = {size} cannot be split over {world} ranks: it must be {need}")
    part = size // world
    return rank * part, (rank + 1) * part


def _repacked(q: QuantizedLinear, codes, scale, zero, bias) -> QuantizedLinear:
    parts = layouts.pack(q.scheme, codes.contiguous(), scale.contiguous(),
                         zero.contiguous() if zero is not None else None, q.group_size)
    return QuantizedLinear.from_packed(
        PackedWeight.from_parts(q.scheme, codes.shape, q.group_size, q.act_symmetric, parts), bias)


def _float_linear(weight, bias) -> nn.Linear:
    out = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device="meta")
    out.weight = nn.Parameter(weight.detach().clone(), requires_grad=False)
    if bias is not None:
        out.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)
    return out


def rows_of(layer: nn.Module, rows: torch.Tensor) -> nn.Module:
    """The layer restricted to output channels `rows` (with their bias): exact, every scheme being per output
    channel (int4 groups run along K, so a row keeps all its groups)."""
    bias = layer.bias[rows] if layer.bias is not None else None
    if isinstance(layer, QuantizedLinear):
        codes, scale, zero = layer.packed_weight().unpacked()
        return _repacked(layer, codes[rows], scale[rows], zero[rows] if zero is not None else None, bias)
    return _float_linear(layer.weight[rows], bias)


def columns_of(layer: nn.Module, k0: int, k1: int) -> nn.Module:
    """The layer restricted to inputs [k0, k1), without its bias (a row-parallel layer adds it once, after
    the all-reduce). int4: k0 and k1 must fall on group boundaries (even_range checks that)."""
    if isinstance(layer, QuantizedLinear):
        codes, scale, zero = layer.packed_weight().unpacked()
        if layer.scheme in layouts.INT4_SCHEMES:
            g0, g1 = k0 // layer.group_size, k1 // layer.group_size
            scale, zero = scale[:, g0:g1], zero[:, g0:g1]
        return _repacked(layer, codes[:, k0:k1], scale, zero, None)
    return _float_linear(layer.weight[:, k0:k1], None)


def column_rows(sizes: Sequence[int], rank: int, world: int, name: str, unit: int) -> List[torch.Tensor]:
    """Rows of each of the concatenated outputs (q, k, v of a fused projection; one output otherwise) that the
    rank keeps, as indices into the concatenation."""
    rows, offset = [], 0
    for i, size in enumerate(sizes):
        a, b = even_range(size, rank, world, f"{name}" + (f" (part {i})" if len(sizes) > 1 else ""),
                          "out_features", unit)
        rows.append(torch.arange(offset + a, offset + b))
        offset += size
    return rows


def shard_columns(layer: nn.Module, rank: int, world: int, name: str, unit: int = 1) -> nn.Module:
    """Column-parallel shard of a QuantizedLinear / nn.Linear / FusedProjection (each fused part split alike)."""
    if isinstance(layer, FusedProjection):
        rows = column_rows(layer.sizes, rank, world, name, unit)
        return FusedProjection(rows_of(layer.linear, torch.cat(rows)), [len(r) for r in rows], layer.name)
    return rows_of(layer, torch.cat(column_rows([layer.out_features], rank, world, name, unit)))


def shard_rows(layer: nn.Module, rank: int, world: int, name: str, unit: int = 1):
    """Row-parallel shard: (the layer on this rank's K range without bias, the bias or None)."""
    if isinstance(layer, QuantizedLinear) and layer.scheme in layouts.INT4_SCHEMES:
        unit = math.lcm(unit, layer.group_size)  # a head and an int4 group both stay whole
    k0, k1 = even_range(layer.in_features, rank, world, name, "in_features (K)", unit)
    bias: Optional[torch.Tensor] = layer.bias.detach().clone() if layer.bias is not None else None
    return columns_of(layer, k0, k1), bias

