"""The public API: pack_weight, linear."""
from typing import Optional

import torch

from . import _paths, layouts
from .packed import FORMAT_VERSION, PackedWeight
from .quant import quantize_weight_int4_da8w4, quantize_weight_int4_tinygemm, quantize_weight_int8_per_row

_FLOAT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


def pack_weight(weight: torch.Tensor, scheme: str, group_size: Optional[int] = None,
                act_symmetric: Optional[bool] = None) -> PackedWeight:
    """Quantizes a float weight [N, K] with torchao's semantics and packs it for `linear`.

    scheme:
      "da8w8": int8 dynamic per-token activations x int8 per-channel weights (group_size must be None);
      "a16w8": float activations x int8 per-channel weights (group_size must be None);
      "da8w4": int8 dynamic per-token activations x uint4 weights in groups along K, integer zero points
               (torchao's Int8DynamicActivationInt4WeightConfig);
      "a16w4": float activations x uint4 weights in groups, float-domain zeros
               (torchao's PrototypeInt4WeightOnlyConfig).
    group_size (int4 schemes): 32, 64, 128 or 256 (default 128); K must be a multiple of it. N need not be
    a multiple of the kernels' block (it is padded inside the packed format).
    act_symmetric (da8w8, da8w4; default True): da8w8: symmetric int8 activations, else asymmetric int8 with a
    per-token zero point; da8w4: symmetric int8 in [-127, 127], else asymmetric uint8 with a zero point
    (torchao's default). a16w8 / a16w4 quantize no activations: it must be None there.
    """
    if scheme not in layouts.SCHEMES:
        raise ValueError(f"scheme: expected one of {list(layouts.SCHEMES)}, got {scheme!r}")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        raise ValueError(f"weight: expected a 2-D tensor [N, K], got {getattr(weight, 'shape', type(weight))}")
    if weight.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"weight: expected dtype float32, bfloat16 or float16, got {weight.dtype}")
    if weight.device.type != "cpu":
        raise ValueError(f"weight: expected a CPU tensor, got device {weight.device}")
    n, k = weight.shape
    if n == 0 or k == 0:
        raise ValueError(f"weight: expected N >= 1 and K >= 1, got shape {tuple(weight.shape)}")
    if not torch.isfinite(weight).all():
        raise ValueError("weight: contains NaN or Inf")
    if scheme in layouts.DYNAMIC_SCHEMES:
        act_symmetric = True if act_symmetric is None else bool(act_symmetric)
    elif act_symmetric is not None:
        raise ValueError(f"act_symmetric: the {scheme} scheme quantizes no activations; expected None, "
                         f"got {act_symmetric}")
    if scheme in layouts.INT8_SCHEMES:
        if group_size is not None:
            raise ValueError(f"group_size: the {scheme} scheme quantizes per output channel; expected None, "
                             f"got {group_size}")
        if scheme == "da8w8" and k > layouts.MAX_K_DA8W8:
            raise ValueError(f"weight: K = {k} exceeds {layouts.MAX_K_DA8W8}, beyond which the int32 "
                             "accumulators could overflow")
        codes, scale = quantize_weight_int8_per_row(weight)
        zero = None
    else:
        group_size = 128 if group_size is None else group_size
        if group_size not in layouts.INT4_GROUP_SIZES:
            raise ValueError(f"group_size: expected one of {layouts.INT4_GROUP_SIZES} for {scheme}, got {group_size}")
        if k % group_size != 0:
            raise ValueError(f"group_size: K = {k} is not a multiple of group_size = {group_size}")
        if scheme == "da8w4":
            codes, scale, zero = quantize_weight_int4_da8w4(weight, group_size)
        else:
            codes, scale, zero = quantize_weight_int4_tinygemm(weight, group_size)
            scale, zero = scale.float(), zero.float()
    parts = layouts.pack(scheme, codes, scale, zero, group_size)
    return PackedWeight.from_parts(scheme, (n, k), group_size, act_symmetric, parts)


def _check(x: torch.Tensor, packed: PackedWeight, bias: Optional[torch.Tensor]) -> None:
    if not isinstance(packed, PackedWeight):
        raise TypeError(f"packed: expected a PackedWeight from xeon_kernels.pack_weight, got {type(packed).__name__}")
    if packed.format_version != FORMAT_VERSION:
        raise ValueError(f"packed: format version {packed.format_version} is not supported "
                         f"(expected {FORMAT_VERSION}); repack the weight")
    if packed.scheme not in layouts.SCHEMES:
        raise ValueError(f"packed: unknown scheme {packed.scheme!r}")
    for field in ("packed", "scale", "compensation", "zero"):
        t = getattr(packed, field)
        if t is not None and (not isinstance(t, torch.Tensor) or t.device.type != "cpu"):
            raise ValueError(f"packed.{field}: expected a CPU tensor, got "
                             f"{t.device if isinstance(t, torch.Tensor) else type(t).__name__}")
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
            allowed = "torch.float32" if x.dtype == torch.float32 else f"{x.dtype} or torch.float32"
            raise TypeError(f"bias: expected dtype {allowed}, got {bias.dtype}")
        if bias.device.type != "cpu":
            raise ValueError(f"bias: expected a CPU tensor, got device {bias.device}")


def linear(x: torch.Tensor, packed: PackedWeight, bias: Optional[torch.Tensor] = None) -> torch.Tensor:
    """y = x @ W^T + bias with the packed quantized weight; any leading dims; output dtype = x.dtype.

    Non-contiguous x is accepted (copied to contiguous). A row of x holding NaN or Inf gives NaN outputs in
    that row (da8w8: its quantization scale is NaN; a16w8: IEEE propagation); other rows are unaffected.
    """
    _check(x, packed, bias)
    return call_linear_op(x, packed, bias)


def call_linear_op(x, p, bias, path=None):
    """The scheme's op on the packed tensors of p (a PackedWeight or anything with scheme, packed, scale, zero,
    compensation, act_symmetric, out_features, in_features), on the given path id (default: the selected
    path)."""
    return call_op(x, p.scheme, p.packed, p.scale, p.zero, p.compensation, p.act_symmetric, p.out_features,
                   p.in_features, bias, path)


def call_op(x, scheme, packed, scale, zero, compensation, act_symmetric, n, k, bias, path=None):
    """The scheme's linear op on these packed tensors (N = n, K = k), on the given path id (default: the
    selected path)."""
    path = _paths.forced_id() if path is None else path
    if scheme == "da8w8":
        op, args = torch.ops.xeon.da8w8_linear, (x, packed, compensation, scale, bias, n, k, act_symmetric, path)
    elif scheme == "a16w8":
        op, args = torch.ops.xeon.a16w8_linear, (x, packed, scale, bias, n, k, path)
    elif scheme == "da8w4":
        op, args = torch.ops.xeon.da8w4_linear, (x, packed, scale, zero, compensation, bias, n, k, act_symmetric,
                                                 path)
    else:
        op, args = torch.ops.xeon.a16w4_linear, (x, packed, scale, zero, bias, n, k, path)
    if torch.is_grad_enabled() and (x.requires_grad or (bias is not None and bias.requires_grad)):
        return op.default(*args)
    # Nothing asks for a gradient (x and bias are the only differentiable inputs, _autograd.py): the overload
    # without an autograd kernel skips the default's Python one, 5-13 us of a 64 x 64 DA8W8 call's 10-18 us
    # (Zen 4, 2026-11-29), which a decode step pays once per linear. Traced by torch.compile, the graph keeps it.
    return op.inference(*args)
