"""CPU kernels for torchao's DA8W4 schemas, backed by ours.

torchao 0.18 defines `torchao::da8w4_linear_prepack_cpu` and `torchao::da8w4_linear_cpu` with Meta kernels
only in its published wheel, so its Int8DynamicActivationInt4WeightConfig refuses to run. Importing
xeon_kernels registers CPU kernels for both, with the same argument meanings and result shapes (the
packed weight is [N/32, K/group, group, 16], scales / zero points / compensation [N/32, K/group, 32], so
torchao's DA8W4 concat-linear pass, which concatenates them along dim 0, keeps working). A CPU kernel
torchao already has is never replaced.
"""
import importlib.util
import sys

import torch

from . import _paths, layouts

_lib = None  # keeps the registrations alive


def _prepack(weight, scales, qzeros):
    if weight.dim() != 2 or weight.dtype != torch.uint8:
        raise ValueError(f"weight: expected uint8 codes [N, K], got {weight.dtype} {tuple(weight.shape)}")
    n, k = weight.shape
    if scales.dim() == 1 and qzeros.dim() == 1:  # torchao squeezes the group dimension when K is one group
        scales, qzeros = scales.reshape(-1, 1), qzeros.reshape(-1, 1)
    if scales.dim() != 2 or scales.shape[0] != n or scales.dtype != torch.float32:
        raise ValueError(f"scales: expected float32 [N, K / group] with N = {n}, got {scales.dtype} "
                         f"{tuple(scales.shape)}")
    if qzeros.shape != scales.shape:
        raise ValueError(f"qzeros: expected shape {tuple(scales.shape)}, got {tuple(qzeros.shape)}")
    g = scales.shape[1]
    if g == 0 or k % g != 0 or k // g not in layouts.INT4_GROUP_SIZES:
        raise ValueError(f"scales: K = {k} over {g} groups does not give a group size in {layouts.INT4_GROUP_SIZES}")
    group = k // g
    if n % layouts.INT4_N_BLOCK != 0:
        raise ValueError(f"weight: N = {n} must be a multiple of {layouts.INT4_N_BLOCK} (torchao's DA8W4 rule)")
    if int(weight.max()) > 15:
        raise ValueError("weight: uint4 codes must lie in [0, 15]")
    if int(qzeros.min()) < 0 or int(qzeros.max()) > 15:
        raise ValueError("qzeros: zero points must lie in [0, 15]")
    parts = layouts.pack("da8w4", weight, scales, qzeros.to(torch.int32), group)
    return parts["codes"], parts["scale"], parts["zero"], parts["sum"]


def _linear(input, input_scales, input_qzeros, weight, weight_scales, weight_qzeros, compensation, bias,
            output_dtype):
    n = weight.size(0) * weight.size(3) * 2
    return torch.ops.xeon.da8w4_linear_quantized(input, input_scales.reshape(-1), input_qzeros.reshape(-1), weight,
                                                 weight_scales, weight_qzeros, compensation, bias, n, output_dtype,
                                                 _paths.forced_id())


def register() -> bool:
    """Registers the CPU kernels where torchao is installed; returns whether it did.

    torchao is not imported for this (its import is slow and loud): a kernel can be registered for an
    operator before its schema is defined. Where torchao is already imported and has CPU kernels of its
    own, nothing is registered; where it is imported later and brings its own, its registration comes
    after ours and takes precedence. Either way torchao's own kernels are never replaced.
    """
    global _lib
    if _lib is not None:
        return True
    try:
        if importlib.util.find_spec("torchao") is None:
            return False
    except (ImportError, ValueError):  # an import system that hides torchao
        return False
    names = ["da8w4_linear_prepack_cpu", "da8w4_linear_cpu"]
    if "torchao.ops" in sys.modules and any(
            torch._C._dispatch_has_kernel_for_dispatch_key(f"torchao::{name}", "CPU") for name in names):
        return False
    lib = torch.library.Library("torchao", "IMPL")
    lib.impl("da8w4_linear_prepack_cpu", _prepack, "CPU")
    lib.impl("da8w4_linear_cpu", _linear, "CPU")
    _lib = lib
    return True


def registered() -> bool:
    return _lib is not None
