"""reference_linear: the reference in PyTorch, built from torchao's quantization primitives (needs torchao).

Integer products are summed exactly (float64 holds every partial sum: |sum| < 2^31 < 2^53). da8w8 then
scales in fp32 in the kernels' order (so it matches the kernels bit for bit); the other schemes accumulate
in float64 and round once (the kernels' fp32 accumulation differs from it within a derivable bound).
Slow; for tests.
"""
from typing import Optional

import torch

from ._extras import require


def _torchao(module: str):
    return require(module, "torchao", "xeon_kernels.reference_linear")


def _torchao_quant(x: torch.Tensor, block_size, mapping, qmin: int, qmax: int, zp_dtype):
    qp = _torchao("torchao.quantization.quant_primitives")
    choose_qparams_affine, quantize_affine = qp.choose_qparams_affine, qp.quantize_affine
    scale, zp = choose_qparams_affine(x, mapping, block_size, torch.int8, qmin, qmax,
                                      eps=torch.finfo(torch.float32).eps, scale_dtype=torch.float32,
                                      zero_point_dtype=zp_dtype, keepdim=True)
    q = quantize_affine(x, block_size, scale, zp, torch.int8, qmin, qmax)
    return q, scale, zp


def _with_k_at_least_2(t: torch.Tensor) -> torch.Tensor:
    """torchao's choose_qparams_affine fails on rows of one element (a reshape of its block shape). Its
    per-row range always includes 0 (min(amin, 0), max(amax, 0)), so a zero column appended to K = 1 rows
    changes neither the scale, the zero point nor the first column's code: the caller drops it again."""
    return torch.cat([t, t.new_zeros((*t.shape[:-1], 1))], dim=-1) if t.shape[-1] == 1 else t


def quantize_weight_torchao(weight: torch.Tensor):
    """(codes int8 [N, K], scale fp32 [N]) from torchao's Int8Tensor.from_hp(weight, PerRow())."""
    from torchao.quantization import PerRow
    from torchao.quantization.quantize_.workflows.int8.int8_tensor import Int8Tensor
    k = weight.shape[-1]
    t = Int8Tensor.from_hp(_with_k_at_least_2(weight.detach()), PerRow())
    return t.qdata[:, :k], t.scale.reshape(-1).to(torch.float32)


def quantize_activation_torchao(x2d: torch.Tensor, symmetric: bool):
    """Per-token int8 codes, fp32 scales [M, 1] and zero points [M, 1] as torchao's DA8W8 activation path."""
    from torchao.quantization.quant_primitives import MappingType
    mapping = MappingType.SYMMETRIC if symmetric else MappingType.ASYMMETRIC
    k = x2d.shape[-1]
    x = _with_k_at_least_2(x2d)
    q, scale, zp = _torchao_quant(x, (1, x.shape[-1]), mapping, -128, 127, torch.int8)
    return q[:, :k], scale, zp


def quantize_weight_int4_torchao(weight: torch.Tensor, scheme: str, group_size: int):
    """(codes [N, K] in [0, 15], scale [N, G], zero [N, G]) from torchao's primitives:
    da8w4 as Int4OpaqueTensor.from_hp_da8w4, a16w4 as Int4OpaqueTensor.from_hp (tinygemm)."""
    from torchao.quantization.quant_primitives import (MappingType, _choose_qparams_affine_tinygemm,
                                                       _quantize_affine_tinygemm, choose_qparams_affine,
                                                       quantize_affine)
    block = (1, group_size)
    n = weight.shape[0]
    if scheme == "da8w4":
        scale, zero = choose_qparams_affine(weight, MappingType.ASYMMETRIC, block, torch.uint8, 0, 15, eps=1e-6,
                                            scale_dtype=torch.float32, zero_point_dtype=torch.int32)
        codes = quantize_affine(weight, block, scale, zero, torch.uint8, 0, 15)
    else:
        scale, zero = _choose_qparams_affine_tinygemm(weight, MappingType.ASYMMETRIC, block, torch.int32, 0, 15,
                                                      1e-6, None, weight.dtype)
        codes = _quantize_affine_tinygemm(weight, block, scale, zero, torch.int32, 0, 15)
    return codes.to(torch.uint8), scale.reshape(n, -1), zero.reshape(n, -1)


def quantize_activation_da8w4_torchao(x2d: torch.Tensor, symmetric: bool):
    """Per-token codes, fp32 scales [M, 1], zero points [M, 1] as torchao's _da8w4_linear quantizes."""
    from torchao.quantization.quant_primitives import MappingType
    if symmetric:
        return _torchao_quant(x2d, (1, x2d.shape[-1]), MappingType.SYMMETRIC, -127, 127, torch.int8)
    from torchao.quantization.quant_primitives import choose_qparams_affine, quantize_affine
    block = (1, x2d.shape[-1])
    scale, zp = choose_qparams_affine(x2d, MappingType.ASYMMETRIC, block, torch.uint8, 0, 255,
                                      eps=torch.finfo(torch.float32).eps, scale_dtype=torch.float32,
                                      zero_point_dtype=torch.int32, keepdim=True)
    return quantize_affine(x2d, block, scale, zp, torch.uint8, 0, 255), scale, zp


def reference_linear(x: torch.Tensor, weight: torch.Tensor, scheme: str, bias: Optional[torch.Tensor] = None,
                     act_symmetric: bool = True, group_size: Optional[int] = None) -> torch.Tensor:
    """What xeon_kernels.linear(x, pack_weight(weight, scheme, group_size, act_symmetric), bias) computes."""
    _torchao("torchao")
    if scheme not in ("da8w8", "a16w8", "da8w4", "a16w4"):
        raise ValueError(f"scheme: expected 'da8w8', 'a16w8', 'da8w4' or 'a16w4', got {scheme!r}")
    x2d = x.reshape(-1, x.shape[-1])
    if scheme in ("da8w8", "a16w8"):
        w_codes, w_scale = quantize_weight_torchao(weight)
        if scheme == "da8w8":
            a, a_scale, a_zp = quantize_activation_torchao(x2d, act_symmetric)
            acc = (a.double() - a_zp.double()) @ w_codes.double().t()  # exact integers
            y = acc.float() * a_scale.float() * w_scale.float()
        else:
            y = ((x2d.double() @ w_codes.double().t()).float()) * w_scale.float()
    else:
        group_size = 128 if group_size is None else group_size
        n, k = weight.shape
        codes, scale, zero = quantize_weight_int4_torchao(weight, scheme, group_size)
        if scheme == "da8w4":
            a, a_scale, a_zp = quantize_activation_da8w4_torchao(x2d, act_symmetric)
            w_centered = (codes.double().view(n, -1, group_size) - zero.double()[..., None])
            a_centered = (a.double() - a_zp.double()).view(x2d.shape[0], -1, group_size)
            per_group = torch.einsum("mgk,ngk->mng", a_centered, w_centered)  # exact integers
            y = ((per_group * scale.double()).sum(-1) * a_scale.double()).float()
        else:
            w = ((codes.double().view(n, -1, group_size) - 8) * scale.double()[..., None]
                 + zero.double()[..., None]).view(n, k)
            y = (x2d.double() @ w.t()).float()
    if bias is not None:
        y = y + bias.float()
    return y.to(x.dtype).reshape(*x.shape[:-1], weight.shape[0])
