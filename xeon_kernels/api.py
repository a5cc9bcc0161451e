"""The public API: pack_weight, linear."""
from typing import Optional

import torch

from . import _paths
from .packed import FORMAT_VERSION, SCHEME_LAYOUT, PackedWeight
from .quant import quantize_weight_int8_per_row

_FLOAT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
# The int8 kernels' int32 accumulators are exact up to this K (csrc/common/block_sizes.h kMaxKInt8).
MAX_K_INT8 = 65536


def pack_weight(weight: torch.Tensor, scheme: str, group_size: Optional[int] = None,
                act_symmetric: bool = True) -> PackedWeight:
    """Quantizes a float weight [N, K] (torchao's semantics) and packs it for `linear`.

    scheme: "da8w8" (int8 dynamic per-token activations x int8 per-channel weights) or
    "a16w8" (float activations x int8 per-channel weights). group_size must be None for these schemes.
    act_symmetric (da8w8): symmetric int8 activations, or asymmetric int8 with a per-token zero point.
    """
    if scheme not in SCHEME_LAYOUT:
        raise ValueError(f"scheme: expected one of {sorted(SCHEME_LAYOUT)}, got {scheme!r}")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise ValueError(f"weight: expected a 2-D tensor [N, K], got {getattr(weight, 'shape', type(weight))}")
    if weight.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"weight: expected dtype float32, bfloat16 or float16, got {weight.dtype}")
    if weight.device.type != "cpu":
        raise ValueError(f"weight: expected a CPU tensor, got device {weight.device}")
    if group_size is not None:
        raise ValueError(f"group_size: the {scheme} scheme quantizes per output channel; expected None, got {group_size}")
    n, k = weight.shape
    if n == 0 or k == 0:
        raise ValueError(f"weight: expected N >= 1 and K >= 1, got shape {tuple(weight.shape)}")
    if scheme == "da8w8" and k > MAX_K_INT8:
        raise ValueError(f"weight: K = {k} exceeds {MAX_K_INT8}, beyond which the int32 accumulators could overflow")
    if not torch.isfinite(weight).all():
        raise ValueError("weight: contains NaN or Inf")
    codes, scale = quantize_weight_int8_per_row(weight)
    packed, w_sum = torch.ops.xeon.pack_int8_weight(codes, SCHEME_LAYOUT[scheme])
    return PackedWeight(scheme, (n, k), None, bool(act_symmetric), packed, scale,
                        w_sum if scheme == "da8w8" else None)


def _check(x: torch.Tensor, packed: PackedWeight, bias: Optional[torch.Tensor]) -> None:
    if not isinstance(packed, PackedWeight):
        raise TypeError(f"packed: expected a PackedWeight from xeon_kernels.pack_weight, got {type(packed).__name__}")
    if packed.format_version != FORMAT_VERSION:
        raise ValueError(f"packed: format version {packed.format_version} is not supported "
                         f"(expected {FORMAT_VERSION}); repack the weight")
    if packed.scheme not in SCHEME_LAYOUT:
        raise ValueError(f"packed: unknown scheme {packed.scheme!r}")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a tensor, got {type(x).__name__}")
    if x.device.type != "cpu":
        raise ValueError(f"x: expected a CPU tensor, got device {x.device}")
    if x.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"x: expected dtype float32, bfloat16 or float16, got {x.dtype}")
    if x.dim() < 1 or x.shape[-1] != packed.in_features:
        raise ValueError(f"x: expected last dimension K = {packed.in_features}, got shape {tuple(x.shape)}")
    if bias is not None:
        if not isinstance(bias, torch.Tensor) or bias.dim() != 1 or bias.shape[0] != packed.out_features:
            raise ValueError(f"bias: expected a 1-D tensor of {packed.out_features} elements, "
                             f"got {getattr(bias, 'shape', type(bias))}")
        if bias.dtype not in (x.dtype, torch.float32):
            raise TypeError(f"bias: expected dtype {x.dtype} or float32, got {bias.dtype}")
        if bias.device.type != "cpu":
            raise ValueError(f"bias: expected a CPU tensor, got device {bias.device}")


def linear(x: torch.Tensor, packed: PackedWeight, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """y = x @ W^T + bias with the packed quantized weight; any leading dims; output dtype = x.dtype.

    Non-contiguous x is accepted (copied to contiguous). A row of x holding NaN or Inf gives NaN outputs in
    that row (da8w8: its quantization scale is NaN; a16w8: IEEE propagation); other rows are unaffected.
    """
    _check(x, packed, bias)
    if packed.scheme == "da8w8":
        return torch.ops.xeon.da8w8_linear(x, packed.packed, packed.weight_sum, packed.scale, bias,
                                           packed.in_features, packed.act_symmetric, _paths.path_id())
    return torch.ops.xeon.a16w8_linear(x, packed.packed, packed.scale, bias, packed.in_features, _paths.path_id())
