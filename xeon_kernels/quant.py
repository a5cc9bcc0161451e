"""Quantization parameters with torchao 0.18's arithmetic (../shared/quant-semantics.md).

Weights: int8, symmetric, per output channel, as torchao's Int8Tensor.from_hp(weight, PerRow()) for both
Int8DynamicActivationInt8WeightConfig and Int8WeightOnlyConfig. Activations: per token, dynamic, by the
fused C++ op `xeon::quantize_per_token` (torchao's choose_qparams_affine + quantize_affine).
"""
import torch

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


def quantize_per_token(x: torch.Tensor, symmetric: bool = True, quant_min: int = INT8_MIN, quant_max: int = INT8_MAX):
    """Per-token dynamic quantization: (codes, scale fp32 [..., 1], zero_point int32 [..., 1]).

    Codes equal torchao's choose_qparams_affine + quantize_affine with eps = fp32 eps. A row holding NaN or
    Inf gets scale NaN (its linear outputs are NaN); other rows are unaffected.
    """
    codes, scale, zp = torch.ops.xeon.quantize_per_token(x, symmetric, quant_min, quant_max)
    return codes, scale, zp
