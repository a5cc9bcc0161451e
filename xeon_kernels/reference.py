"""reference_linear: the pure-PyTorch reference, built from torchao's quantization primitives.

Integer products are summed exactly (float64 holds every partial sum: |sum| < 2^31 < 2^53), then scaled
in fp32 in the kernels' order; a16w8 accumulates in float64 and rounds once. Slow; for tests.
"""
from typing import Optional

import torch


def _torchao_quant(x: torch.Tensor, block_size, mapping, qmin: int, qmax: int, zp_dtype):
    from torchao.quantization.quant_primitives import choose_qparams_affine, quantize_affine
    scale, zp = choose_qparams_affine(x, mapping, block_size, torch.int8, qmin, qmax,
                                      eps=torch.finfo(torch.float32).eps, scale_dtype=torch.float32,
                                      zero_point_dtype=zp_dtype, keepdim=True)
    q = quantize_affine(x, block_size, scale, zp, torch.int8, qmin, qmax)
    return q, scale, zp


def quantize_weight_torchao(weight: torch.Tensor):
    """(codes int8 [N, K], scale fp32 [N]) from torchao's Int8Tensor.from_hp(weight, PerRow())."""
    from torchao.quantization import PerRow
    from torchao.quantization.quantize_.workflows.int8.int8_tensor import Int8Tensor
    t = Int8Tensor.from_hp(weight.detach(), PerRow())
    return t.qdata, t.scale.reshape(-1).to(torch.float32)


def quantize_activation_torchao(x2d: torch.Tensor, symmetric: bool):
    """Per-token int8 codes, fp32 scales [M, 1] and zero points [M, 1] as torchao's DA8W8 activation path."""
    from torchao.quantization.quant_primitives import MappingType
    mapping = MappingType.SYMMETRIC if symmetric else MappingType.ASYMMETRIC
    return _torchao_quant(x2d, (1, x2d.shape[-1]), mapping, -128, 127, torch.int8)


def reference_linear(x: torch.Tensor, weight: torch.Tensor, scheme: str, bias: Optional[torch.Tensor] = None,
                     act_symmetric: bool = True) -> torch.Tensor:
    """What xeon_kernels.linear(x, pack_weight(weight, scheme, act_symmetric=...), bias) computes."""
    if scheme not in ("da8w8", "a16w8"):
        raise ValueError(f"scheme: expected 'da8w8' or 'a16w8', got {scheme!r}")
    w_codes, w_scale = quantize_weight_torchao(weight)
    x2d = x.reshape(-1, x.shape[-1])
    if scheme == "da8w8":
        a, a_scale, a_zp = quantize_activation_torchao(x2d, act_symmetric)
        acc = (a.double() - a_zp.double()) @ w_codes.double().t()  # exact integers
        y = acc.float() * a_scale.float() * w_scale.float()
    else:
        y = ((x2d.double() @ w_codes.double().t()).float()) * w_scale.float()
    if bias is not None:
        y = y + bias.float()
    return y.to(x.dtype).reshape(*x.shape[:-1], weight.shape[0])
