"""torchao 0.18's quantized linears traced to aten: the references the rewrite looks for (graph_match.py).

Each reference is torchao's own code (its F.linear on its weight tensor subclass) traced with Inductor's
decompositions, so it is exactly what torch.compile of a torchao-quantized model produces, for one scheme, one
activation dtype, one activation mapping and, for DA8W8, one branch of torchao's int_scaled_matmul (u8s8 with
compensation on CPUs with VNNI and without AMX, s8s8 elsewhere). The weight subclasses are built from the
placeholders' plain tensors with the attributes torchao's config gives a tiny layer (so the activation
quantization settings are torchao's, not copied here). A16W4 needs no reference: torchao calls one aten op.
"""
import contextlib
import functools
from dataclasses import dataclass
from typing import Optional
from unittest import mock

import torch
import torch.nn.functional as F
from torch import fx, nn

DTYPES = (torch.bfloat16, torch.float32)  # activation dtypes the references are traced for


@dataclass(frozen=True)
class Reference:
    scheme: str  # the xeon scheme it becomes
    act_symmetric: Optional[bool]
    dtype: torch.dtype
    bias: bool  # traced with a bias (torchao adds it before rounding to the output dtype)
    graph: fx.Graph  # placeholders: x, w, s[, b] (int8 schemes); x, w, s, z, comp[, b] (da8w4)


def _config(scheme: str, symmetric: Optional[bool]):
    from torchao.prototype.quantization.int4 import Int8DynamicActivationInt4WeightConfig
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig
    from torchao.quantization.quant_primitives import MappingType
    mapping = MappingType.SYMMETRIC if symmetric else MappingType.ASYMMETRIC
    if scheme == "da8w8":
        return Int8DynamicActivationInt8WeightConfig(act_mapping_type=mapping)
    if scheme == "a16w8":
        return Int8WeightOnlyConfig()
    return Int8DynamicActivationInt4WeightConfig(group_size=32, act_mapping_type=mapping)


def _template(scheme: str, symmetric: Optional[bool], dtype: torch.dtype):
    """A tiny layer's weight as torchao's config quantizes it (its attributes are what the references use)."""
    from torchao.quantization import quantize_
    layer = nn.Sequential(nn.Linear(64, 32, bias=False)).to(dtype)
    with torch.no_grad():
        layer[0].weight.copy_(torch.linspace(-1, 1, 64 * 32).reshape(32, 64))
    quantize_(layer, _config(scheme, symmetric))
    return layer[0].weight


@contextlib.contextmanager
def _int_mm_branch(u8s8: bool):
    """torchao's int_scaled_matmul takes its u8s8 branch on CPUs with VNNI and without AMX: both are traced."""
    import torchao.kernel.intmm as intmm
    with mock.patch.object(intmm, "_cpu_is_amx_tile_supported", lambda: not u8s8), \
            mock.patch.object(intmm, "_cpu_is_vnni_supported", lambda: u8s8):
        yield


class _RecordValues(fx.Interpreter):
    """Runs the traced graph once, keeping each node's value in meta["val"] (dtypes and ranks, which
    graph_match reads, as in Inductor's graphs)."""

    def run_node(self, n):
        out = super().run_node(n)
        n.meta["val"] = out
        return out


def _trace(fn, args) -> fx.Graph:
    from torch._inductor.pattern_matcher import fwd_only
    gm = fwd_only(fn, args)
    _RecordValues(gm).run(*args)
    return gm.graph


def _int8_references(scheme, symmetric, dtype):
    from torchao.quantization.quantize_.workflows.int8.int8_tensor import Int8Tensor
    tpl = _template(scheme, symmetric, dtype)

    def make(w, s):
        return Int8Tensor(w, s, [1, w.shape[1]], tpl.dtype, act_quant_kwargs=tpl.act_quant_kwargs)

    def linear(x, w, s):
        return F.linear(x, make(w, s))

    def linear_bias(x, w, s, b):
        return F.linear(x, make(w, s), b)

    x = torch.linspace(-2, 2, 5 * 64, dtype=dtype).reshape(5, 64)
    bias = torch.linspace(-1, 1, 32, dtype=dtype)
    branches = (True, False) if scheme == "da8w8" else (None,)
    refs = []
    for u8s8 in branches:
        with (_int_mm_branch(u8s8) if u8s8 is not None else contextlib.ExitStack()):
            for with_bias in (True, False):  # with bias first: the larger match wins
                fn, args = (linear_bias, [x, tpl.qdata, tpl.scale, bias]) if with_bias else \
                    (linear, [x, tpl.qdata, tpl.scale])
                refs.append(Reference(scheme, symmetric if scheme == "da8w8" else None, dtype, with_bias,
                                      _trace(fn, args)))
    return refs


def _da8w4_references(symmetric, dtype):
    from torchao.prototype.quantization.int4.int4_opaque_tensor import Int4OpaqueTensor
    tpl = _template("da8w4", symmetric, dtype)

    def make(w, s, z, comp):
        return Int4OpaqueTensor(w, s, tpl.block_size, tpl.shape, qzeros=z, compensation=comp,
                                act_mapping_type=tpl.act_mapping_type)

    def linear(x, w, s, z, comp):
        return F.linear(x, make(w, s, z, comp))

    def linear_bias(x, w, s, z, comp, b):
        return F.linear(x, make(w, s, z, comp), b)

    x = torch.linspace(-2, 2, 5 * 64, dtype=dtype).reshape(5, 64)
    parts = [tpl.qdata, tpl.scale_and_zero, tpl.qzeros, tpl.compensation]
    bias = torch.linspace(-1, 1, 32, dtype=dtype)
    return [Reference("da8w4", symmetric, dtype, True, _trace(linear_bias, [x, *parts, bias])),
            Reference("da8w4", symmetric, dtype, False, _trace(linear, [x, *parts]))]


@functools.lru_cache(maxsize=None)
def references():
    """Every reference (traced once per process, about a second per scheme). DA8W4 is traced only where its
    weights are in the xeon layout (torchao_compat registered our prepack kernel)."""
    from torch._subclasses.fake_tensor import unset_fake_temporarily
    with unset_fake_temporarily(), torch.no_grad():
        return _all_references()


def _all_references():
    from .. import torchao_compat
    refs = []
    for dtype in DTYPES:
        for symmetric in (True, False):
            refs += _int8_references("da8w8", symmetric, dtype)
            if torchao_compat.registered():
                refs += _da8w4_references(symmetric, dtype)
        refs += _int8_references("a16w8", None, dtype)
    return tuple(refs)
