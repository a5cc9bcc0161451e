"""Quantization parameters with torchao 0.18's arithmetic (choose_qparams_affine + quantize_affine).

Weights: int8, symmetric, per output channel, as torchao's Int8Tensor.from_hp(weight, PerRow()) for both
Int8DynamicActivationInt8WeightConfig and Int8WeightOnlyConfig. Activations: per token, dynamic, by the
fused C++ op `xeon::quantize_per_token` (torchao's choose_qparams_affine + quantize_affine).
"""
from typing import Optional

import torch

from . import _paths

INT8_MIN, INT8_MAX = -128, 127
# torchao's Int8Tensor passes torch.finfo(torch.float32).eps for every dtype.
_EPS = torch.finfo(torch.float32).eps


def quantize_weight_int8_per_row(weight: torch.Tensor):
    """Returns (codes int8 [N, K], scale fp32 [N]) exactly as torchao's Int8Tensor.from_hp(weight, PerRow()).

    Every step runs in the weight's dtype, as choose_qparams_affine does, before the scale is cast to fp32.
    """
    w = weight.detach()
    min_neg = torch.clamp(w.amin(dim=-1, keepdim=True), max=0)
    max_pos = torch.clamp(w.amax(dim=-1, keepdim=True), min=0)
    amax = torch.max(-min_neg, max_pos)
    scale = torch.clamp(amax / (float(INT8_MAX - INT8_MIN) / 2), min=_EPS).to(torch.float32)
    codes = torch.clamp(torch.round(w * (1.0 / scale)), INT8_MIN, INT8_MAX).to(torch.int8)
    return codes, scale.reshape(-1)


def quantize_per_token(x: torch.Tensor, symmetric: bool = True, quant_min: int = INT8_MIN, quant_max: int = INT8_MAX,
                       path: Optional[str] = None):
    """Per-token dynamic quantization: (codes, scale fp32 [..., 1], zero_point int32 [..., 1]).

    Codes equal torchao's choose_qparams_affine + quantize_affine with eps = fp32 eps. A row holding NaN or
    Inf gets scale NaN (its linear outputs are NaN); other rows are unaffected. path: a path name
    (xeon_kernels.info()["supported_paths"]) or None for the selected one; every path gives the same bits.
    """
    pid = _paths.forced_id() if path is None else _paths.path_id(path)
    codes, scale, zp = torch.ops.xeon.quantize_per_token(x, symmetric, quant_min, quant_max, pid)
    return codes, scale, zp


# torchao's eps for int4 weights (Int4OpaqueTensor.from_hp and from_hp_da8w4).
_INT4_EPS = 1e-6


def _groups(weight: torch.Tensor, group_size: int) -> torch.Tensor:
    n, k = weight.shape
    return weight.detach().reshape(n, k // group_size, group_size)


def quantize_weight_int4_da8w4(weight: torch.Tensor, group_size: int):
    """(codes uint8 [N, K] in [0, 15], scale fp32 [N, G], zero_point int32 [N, G]) exactly as torchao's
    Int4OpaqueTensor.from_hp_da8w4: choose_qparams_affine(ASYMMETRIC, uint8 [0, 15], eps 1e-6) in the
    weight's dtype, then quantize_affine."""
    w = _groups(weight, group_size)
    min_neg = torch.clamp(w.amin(dim=-1), max=0)
    max_pos = torch.clamp(w.amax(dim=-1), min=0)
    scale = torch.clamp((max_pos - min_neg) / float(15 - 0), min=_INT4_EPS)
    zero = torch.clamp(0 - torch.round(min_neg / scale), 0, 15)
    scale, zero = scale.to(torch.float32), zero.to(torch.int32)
    codes = torch.clamp(torch.round(w * (1.0 / scale[..., None])) + zero[..., None], 0, 15).to(torch.uint8)
    return codes.reshape(weight.shape), scale, zero


def quantize_weight_int4_tinygemm(weight: torch.Tensor, group_size: int):
    """(codes uint8 [N, K] in [0, 15], scale [N, G], zero [N, G] in the weight's dtype) exactly as torchao's
    Int4OpaqueTensor.from_hp (tinygemm parameters, float-domain zero: w = (q - 8) * scale + zero)."""
    w = _groups(weight, group_size)
    min_val, max_val = w.amin(dim=-1), w.amax(dim=-1)
    scale = torch.clamp((max_val - min_val) / float(15 - 0), min=_INT4_EPS)
    mid_point = (15 + 0 + 1) / 2
    zero = min_val + scale * mid_point
    lowest = zero[..., None] - scale[..., None] * mid_point
    codes = torch.clamp(torch.round((w - lowest) / scale[..., None]), 0, 15).to(torch.uint8)
    return codes.reshape(weight.shape), scale, zero
